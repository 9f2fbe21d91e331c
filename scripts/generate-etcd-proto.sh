#!/usr/bin/env bash
# Regenerates Sources/AuthIPCluster/Etcd/Generated from Protos/etcd.proto. The generated code is
# committed, so builds and CI never run protoc or the plugins; run this after changing the
# .proto. It builds swift-protobuf's and grpc-swift-protobuf's plugins in a scratch package.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || apt-get install -y -q protobuf-compiler >/dev/null
work=${AUTHIP_PROTOGEN:-/tmp/authip-protogen}
mkdir -p "$work"
cat > "$work/Package.swift" <<'PACKAGE'
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "protogen",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
    ],
    targets: []
)
PACKAGE
(cd "$work" && swift build --product protoc-gen-swift && swift build --product protoc-gen-grpc-swift-2)
bin=$(cd "$work" && swift build --show-bin-path)
source=Sources/AuthIPCluster/Etcd
protoc --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
    -I "$source/Protos" \
    --swift_out="$source/Generated" --swift_opt=Visibility=Internal \
    --grpc-swift-2_out="$source/Generated" --grpc-swift-2_opt=Visibility=Internal,Server=false \
    "$source/Protos/etcd.proto"
echo "generated: $(ls "$source/Generated")"
