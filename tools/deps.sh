#!/usr/bin/env bash
# deps.sh installs what gouth-emu needs to build and test on Debian, and
# builds Unicorn's C core from the pinned Go module into build/unicorn.
# It is idempotent: a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: command or file that shows the package is there.
need=()
check() { # check PACKAGE PATH
	if [ ! -e "$2" ] && ! command -v "$2" >/dev/null 2>&1; then need+=("$1"); fi
}
check cmake cmake
check ninja-build ninja
check gcc gcc
check golang-1.19-go /usr/lib/go-1.19/bin/go           # second toolchain for tests
check linux-libc-dev /usr/include/x86_64-linux-gnu/asm/unistd_64.h # syscall numbers for tests
check qemu-user qemu-x86_64                            # benchmarks compare against it
check strace strace
check patch patch                                      # applies tools/unicorn.patch
check libcapstone-dev /usr/include/capstone/capstone.h # Intel/AT&T disassembly
check binutils objdump                                 # disassembly cross-checks
check gdb gdb                                          # a real client for the gdb stub's tests
check librsvg2-bin rsvg-convert                        # timeline tests render the SVG to PNG

if [ ${#need[@]} -gt 0 ]; then
	# Without root or a sudo that needs no password, say the exact command
	# and stop: the user runs it (Fedora, Arch, Alpine: see the README).
	if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
		echo "deps: missing Debian packages; install them with:" >&2
		if command -v sudo >/dev/null; then
			echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
		else
			echo "  su -c 'apt-get update && apt-get install -y ${need[*]}'" >&2
		fi
		exit 1
	fi
	echo "deps: installing ${need[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Optional: the cross toolchain for the linux/arm64 build (make arm64,
# tools/arm64.sh) and its smoke test under qemu-aarch64 (qemu-user, above).
# Without it the host build is unaffected and that test skips.
need=()
check gcc-aarch64-linux-gnu aarch64-linux-gnu-gcc
[ "$(uname -m)" = aarch64 ] || check libc6-dev-arm64-cross /usr/aarch64-linux-gnu/include/stdio.h
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else sudo=none; fi
	[ "$sudo" = none ] || echo "deps: installing ${need[*]} (optional, for make arm64)"
	if [ "$sudo" = none ] || ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"; } >/dev/null 2>&1; then
		echo "deps: ${need[*]} not installed; make arm64 and the arm64 test need them (the test will skip): sudo apt-get install -y ${need[*]}" >&2
	fi
fi

go mod download
udir=$(go list -m -f '{{.Dir}}' github.com/unicorn-engine/unicorn)
mkdir -p build
# The C core is built from a patched copy of the module's source
# (tools/unicorn.patch); build/unicorn/.patch records which patch, so a
# changed patch rebuilds it.
patchsum=$(sha256sum tools/unicorn.patch | cut -c1-16)
if [ ! -f build/unicorn/libunicorn.a ] || [ "$(cat build/unicorn/.patch 2>/dev/null)" != "$patchsum" ]; then
	echo "deps: building Unicorn's C core from $udir with tools/unicorn.patch"
	rm -rf build/unicorn-src build/unicorn-new
	cp -r "$udir" build/unicorn-src
	chmod -R u+w build/unicorn-src
	patch -d build/unicorn-src -p1 --quiet <tools/unicorn.patch
	cmake -S build/unicorn-src -B build/unicorn-new -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DUNICORN_ARCH=x86 -DUNICORN_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF >build/unicorn.log 2>&1 ||
		{ cat build/unicorn.log >&2; exit 1; }
	ninja -C build/unicorn-new >>build/unicorn.log 2>&1 || { tail -50 build/unicorn.log >&2; exit 1; }
	echo "$patchsum" >build/unicorn-new/.patch
	rm -rf build/unicorn
	mv build/unicorn-new build/unicorn
fi

# build/ holds toolchains and sources with Go files of their own; a go.mod
# of its own keeps them out of this module's ./... patterns.
[ -f build/go.mod ] || printf 'module scratch\n\n// Keeps build products out of the ./... patterns of gouth-emu.\n' >build/go.mod

# go1.11.1, the book's version, for the tests: from GO111ROOT when set, else
# unpacked from the shared toolchain archive beside the checkout. Without
# either the tests use the committed builds in testdata/go111.
go111_archive=../shared/toolchains/go1.11.1.linux-amd64.tar.xz
if [ -z "${GO111ROOT:-}" ] && [ ! -x build/go1.11.1/bin/go ] && [ -f "$go111_archive" ]; then
	echo "deps: unpacking go1.11.1 into build/go1.11.1"
	rm -rf build/go1.11.1 build/go1.11.1-new
	mkdir -p build/go1.11.1-new
	tar -xJf "$go111_archive" -C build/go1.11.1-new
	mv build/go1.11.1-new/go1.11.1 build/go1.11.1
	rm -rf build/go1.11.1-new
fi

# go1.27.3, the newest Go: the go command fetches it once per machine from
# the module proxy. Without network the tests that need it skip.
if ! GOTOOLCHAIN=go1.27.3 go version >/dev/null 2>&1; then
	echo "deps: go1.27.3 could not be fetched (GOTOOLCHAIN=go1.27.3); tests that need it will skip" >&2
fi
