#!/usr/bin/env bash
# Installs Debian's chromium if it is missing (the playground's browser test drives it headless with puppeteer-core).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing; install it (Debian: apt-get install chromium) or run this as root on Debian" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
