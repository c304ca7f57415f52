#!/usr/bin/env bash
# build.sh rebuilds the committed go1.11.1 guests (testdata/go111/*.gz) from
# testdata/guests with the go1.11.1 toolchain (tools/deps.sh unpacks it into
# build/go1.11.1; GO111ROOT overrides), trimmed as the tests build them
# (internal/testbin.Toolchain.BuildArgs), so a clone without the toolchain
# still tests the book's Go version. A fixed GOROOT_FINAL, an empty build ID
# and gzip -n make the files the same from any checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=${GO111ROOT:-$PWD/build/go1.11.1}
guests=(hello goroutines frameargs argkinds)
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
for g in "${guests[@]}"; do
	(cd testdata/guests/$g &&
		env -u GOFLAGS -u GOTOOLCHAIN GOROOT="$root" GO111MODULE=off CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
			GOROOT_FINAL=/usr/local/go GOPATH="$cache/gopath" GOCACHE="$cache/build" \
			"$root/bin/go" build -o "$cache/$g" \
			-gcflags=all=-trimpath="$root/src" -gcflags=command-line-arguments=-trimpath="$PWD" -asmflags=all=-trimpath="$root/src" -ldflags=-buildid= main.go)
	gzip -n -9 -c "$cache/$g" >testdata/go111/$g.gz
	echo "testdata/go111/$g.gz: $("$root/bin/go" version "$cache/$g" 2>/dev/null || echo go1.11.1) $(stat -c %s testdata/go111/$g.gz) bytes"
done
