# gouth-emu: `make demo` and `make test` do all the set-up on a fresh Debian
# machine (see tools/deps.sh).

GO       ?= go
BIN      := bin/gouth-emu
# Evaluated when used, after deps has downloaded the module.
UNICORN_DIR = $(shell $(GO) list -m -f '{{.Dir}}' github.com/unicorn-engine/unicorn)
# Go does not relink when only a C library changes: the patch's hash in the
# C flags makes a new tools/unicorn.patch rebuild the cgo package and relink.
UNICORN_PATCH = $(shell sha256sum tools/unicorn.patch | cut -c1-16)
GOENV    = CGO_ENABLED=1 CGO_CFLAGS="-I$(UNICORN_DIR)/include -DGOUTH_UNICORN_PATCH=$(UNICORN_PATCH)" CGO_LDFLAGS="-L$(CURDIR)/build/unicorn" GOFLAGS=-tags=static
FUZZTIME ?= 10s

.PHONY: all deps build arm64 test demo bench conformance fuzz clean

all: build

deps:
	@./tools/deps.sh

build: deps
	$(GOENV) $(GO) build -o $(BIN) ./cmd/gouth-emu

# bin/linux-arm64/gouth-emu: a static linux/arm64 build, cross-compiled
# (tools/arm64.sh says how and why).
arm64: deps
	GO=$(GO) ./tools/arm64.sh

test: build
	$(GOENV) $(GO) vet ./...
	@# The arm64 smoke test (e2e/arm64_test.go) skips when tools/arm64.sh
	@# cannot build (status 3: it names the missing cross toolchain).
	@GO=$(GO) ./tools/arm64.sh || [ $$? -eq 3 ]
	$(GOENV) GOUTH_EMU=$(CURDIR)/$(BIN) GOUTH_EMU_ARM64=$(CURDIR)/bin/linux-arm64/gouth-emu $(GO) test -count=1 ./...
	$(GOENV) ./tools/fuzz.sh ./loader/ FuzzOpen $(FUZZTIME)
	$(GOENV) ./tools/fuzz.sh ./syscalls/ FuzzDispatch $(FUZZTIME)
	$(GOENV) ./tools/fuzz.sh ./syscalls/ FuzzDispatchSequence $(FUZZTIME)
	$(GOENV) ./tools/fuzz.sh ./gdbstub/rsp/ FuzzReadPacket $(FUZZTIME)

# The README's demo; tools/check-demo.sh fails it unless the output holds
# what the README shows.
demo: build
	@mkdir -p build/demo
	CGO_ENABLED=0 $(GO) build -o build/demo/hello ./testdata/guests/hello
	@echo '$(BIN) run --strace --stats build/demo/hello'
	@./tools/check-demo.sh $(BIN) run --strace --stats build/demo/hello

# Timed runs against qemu-user and native; writes bench/results.md.
# BENCHFLAGS: -rounds N, -only NAME.
bench: build
	CGO_ENABLED=0 GO=$(GO) $(GO) run ./bench -emu $(CURDIR)/$(BIN) $(BENCHFLAGS)

# The standard library's own tests natively, under qemu-user and under
# gouth-emu, compared test by test; writes conformance/results.md and fails
# on a difference conformance/expected.txt does not list.
# CONFORMANCEFLAGS: -pkgs a,b, -toolchains go1.19,go-machine, -j N, -timeout D.
conformance: build
	CGO_ENABLED=0 GO=$(GO) $(GO) run ./conformance -emu $(CURDIR)/$(BIN) $(CONFORMANCEFLAGS)

fuzz: build
	$(MAKE) test FUZZTIME=5m

clean:
	rm -rf bin build/demo
