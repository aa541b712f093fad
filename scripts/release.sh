#!/usr/bin/env bash
# Builds Tocsin's release binaries: static (no cgo), -trimpath, for every
# platform a team runs it on, with a SHA256SUMS file beside them.
#
#   scripts/release.sh [VERSION]     VERSION defaults to `git describe`
#
# Output: dist/VERSION/tocsin-VERSION-OS-ARCH and dist/VERSION/SHA256SUMS.
set -euo pipefail

cd "$(dirname "$0")/.."
version="${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
out="dist/$version"
platforms=(linux/amd64 linux/arm64 darwin/arm64)

rm -rf "$out"
mkdir -p "$out"
for p in "${platforms[@]}"; do
	os="${p%/*}" arch="${p#*/}"
	bin="tocsin-$version-$os-$arch"
	echo "building $bin"
	CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" go build -trimpath -buildvcs=true \
		-ldflags "-s -w -X main.version=$version" -o "$out/$bin" ./cmd/tocsin
done
(cd "$out" && sha256sum tocsin-* > SHA256SUMS)
cat "$out/SHA256SUMS"
