#!/usr/bin/env bash
# arm64.sh cross-builds gouth-emu for linux/arm64 hosts into
# bin/linux-arm64/gouth-emu (make arm64 runs it).
#
# Unicorn's C core is cross-built once, x86 target only and with
# tools/unicorn.patch, by Debian's gcc-aarch64-linux-gnu into
# build/unicorn-arm64 (rebuilt when the patch changes). The binary is linked
# statically, so it runs on any arm64 Linux, and under qemu-aarch64 without
# a library path. It is built with the nocapstone tag: Debian has no arm64
# libcapstone short of a multiarch set-up (dpkg --add-architecture), which
# a fresh machine or CI runner should not need, so --syntax intel|att print
# through x86asm there (see debugger/disasm).
#
# A missing cross toolchain is not an error of the project: the script says
# which package is missing and exits 3, and the arm64 test skips.
set -euo pipefail
cd "$(dirname "$0")/.."

go=${GO:-go}
cc=${ARM64_CC:-aarch64-linux-gnu-gcc}
missing=()
command -v "$cc" >/dev/null 2>&1 || missing+=("gcc-aarch64-linux-gnu ($cc)")
# On an arm64 host the compiler is the native one, with the native libc.
if [ "$($go env GOHOSTARCH)" != arm64 ] && [ ! -e /usr/aarch64-linux-gnu/include/stdio.h ]; then
	missing+=("libc6-dev-arm64-cross (/usr/aarch64-linux-gnu/include)")
fi
command -v cmake >/dev/null 2>&1 || missing+=("cmake")
command -v ninja >/dev/null 2>&1 || missing+=("ninja-build (ninja)")
if [ ${#missing[@]} -gt 0 ]; then
	echo "arm64: cannot build for linux/arm64, missing: ${missing[*]}; tools/deps.sh installs them" >&2
	# Nothing may test a build older than the source.
	rm -f bin/linux-arm64/gouth-emu
	exit 3
fi

udir=$($go list -m -f '{{.Dir}}' github.com/unicorn-engine/unicorn)
patchsum=$(sha256sum tools/unicorn.patch | cut -c1-16)
out=build/unicorn-arm64
if [ ! -f $out/libunicorn.a ] || [ "$(cat $out/.patch 2>/dev/null)" != "$patchsum" ]; then
	echo "arm64: cross-building Unicorn's C core for aarch64 into $out (a few minutes, once)"
	rm -rf $out-src $out-new
	cp -r "$udir" $out-src
	chmod -R u+w $out-src
	patch -d $out-src -p1 --quiet <tools/unicorn.patch
	# Unicorn picks its TCG host backend from "$cc -dumpmachine".
	cmake -S $out-src -B $out-new -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 -DCMAKE_C_COMPILER="$cc" \
		-DUNICORN_ARCH=x86 -DUNICORN_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF >build/unicorn-arm64.log 2>&1 ||
		{ cat build/unicorn-arm64.log >&2; exit 1; }
	ninja -C $out-new >>build/unicorn-arm64.log 2>&1 || { tail -50 build/unicorn-arm64.log >&2; exit 1; }
	echo "$patchsum" >$out-new/.patch
	rm -rf $out $out-src
	mv $out-new $out
fi

mkdir -p bin/linux-arm64
# static: Unicorn's own tag for linking libunicorn.a; netgo and osusergo keep
# glibc's NSS (which cannot be linked statically) out of the binary.
CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC="$cc" \
	CGO_CFLAGS="-I$udir/include -DGOUTH_UNICORN_PATCH=$patchsum" \
	CGO_LDFLAGS="-L$PWD/$out" \
	GOFLAGS="-tags=static,nocapstone,netgo,osusergo" \
	$go build -ldflags "-linkmode external -extldflags -static" -o bin/linux-arm64/gouth-emu ./cmd/gouth-emu
