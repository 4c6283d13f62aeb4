#!/usr/bin/env bash
# Installs grpcurl into .cache/bin with `go install` (from the Go module proxy), once; later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/.cache/bin"
if [ -x "$bin/grpcurl" ]; then exit 0; fi
mkdir -p "$bin"
GOBIN="$bin" go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3
