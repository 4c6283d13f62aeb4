#!/usr/bin/env bash
# Generates the Go clients from proto/, builds this example and runs one of them against a gateway.
# Usage: bash examples/go/run.sh connect http://127.0.0.1:8080
#        bash examples/go/run.sh grpc 127.0.0.1:8080
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.cache/bin"
mkdir -p "$bin"
export PATH="$bin:$root/node_modules/.bin:$PATH"
[ -x "$bin/protoc-gen-go" ] || GOBIN="$bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
[ -x "$bin/protoc-gen-connect-go" ] || GOBIN="$bin" go install connectrpc.com/connect/cmd/protoc-gen-connect-go@v1.21.1
[ -x "$bin/protoc-gen-go-grpc" ] || GOBIN="$bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
rm -rf "$here/gen"
(cd "$root" && buf generate --template "$here/buf.gen.yaml" --path proto/vertexchat --path proto/buf)
cd "$here"
go build -o "$bin/vertexchat-go-$1" "./cmd/$1-client"
exec "$bin/vertexchat-go-$1" "$2"
