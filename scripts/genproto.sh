#!/usr/bin/env bash
# genproto.sh regenerates the committed Go code under proto/ from the .proto
# sources, with pinned plugin versions so the output is reproducible.
# Needs protoc (Debian: apt-get install protobuf-compiler).
set -euo pipefail
cd "$(dirname "$0")/.."

PROTOC_GEN_GO=v1.36.12
PROTOC_GEN_GO_GRPC=v1.6.2
# The Connect handlers (Connect, gRPC-Web and gRPC on net/http); the same
# version as connectrpc.com/connect in go.mod.
PROTOC_GEN_CONNECT_GO=v1.21.1

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@${PROTOC_GEN_GO}"
GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@${PROTOC_GEN_GO_GRPC}"
GOBIN="$bin" go install "connectrpc.com/connect/cmd/protoc-gen-connect-go@${PROTOC_GEN_CONNECT_GO}"

PATH="$bin:$PATH" protoc -I proto \
  --go_out=proto --go_opt=paths=source_relative \
  --go-grpc_out=proto --go-grpc_opt=paths=source_relative \
  proto/galaxy/push/v1/push.proto proto/galaxy/gateway/v1/gateway.proto

# Only the gateway faces browsers; the backend's Push stays gRPC-only.
PATH="$bin:$PATH" protoc -I proto \
  --connect-go_out=proto --connect-go_opt=paths=source_relative \
  proto/galaxy/gateway/v1/gateway.proto
