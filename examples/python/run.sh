#!/usr/bin/env bash
# Generates the Python client from proto/ with grpcio-tools, then runs this example against a gateway.
# Usage: bash examples/python/run.sh 127.0.0.1:8080
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.cache/python-venv"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi
rm -rf "$here/gen" && mkdir -p "$here/gen"
# Our messages and the contract's protovalidate subset; google/rpc error details come from googleapis-common-protos.
(cd "$root/proto" && "$venv/bin/python" -m grpc_tools.protoc -I . --python_out="$here/gen" --pyi_out="$here/gen" \
  --grpc_python_out="$here/gen" vertexchat/v1/*.proto buf/validate/validate.proto)
exec "$venv/bin/python" "$here/client.py" "$@"
