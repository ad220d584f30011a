# Thin wrapper around meson/ninja and the project's test scripts.
#   make         build into build/ (binaries at build/wirt-vmm, build/wirt-img)
#   make check   all tests: unit (ASan+UBSan build in build-check/), KVM tier,
#                end-to-end boots of Debian's kernel (in the testbed on PVM)
#   make demo    boot a real VM and show it working
#   make bench   benchmarks against the reference tools
#   make fuzz    every libFuzzer target for FUZZ_SECONDS (default 60) each

MESON_FLAGS ?=
FUZZ_SECONDS ?= 60
.PHONY: all deps check unit kvm-tests e2e img-tests path-tests lint fuzz-tests fuzz demo bench clean

all: deps build/build.ninja
	ninja -C build

deps:
	@tools/deps build

build/build.ninja:
	meson setup build $(MESON_FLAGS)

build-check/build.ninja:
	meson setup build-check -Db_sanitize=address,undefined -Db_lundef=false $(MESON_FLAGS)

check-deps:
	@tools/deps check

check: check-deps build-check/build.ninja
	ninja -C build-check
	$(MAKE) lint unit kvm-tests img-tests fuzz-tests path-tests e2e
	@echo "make check: all tiers passed"

unit: build-check/build.ninja
	meson test -C build-check --print-errorlogs --suite unit

img-tests: build-check/build.ninja
	@if [ -x tests/img/run ]; then tests/img/run build-check; fi

# every shell script quotes its paths (a checkout path may hold spaces); no
# function in src/ over 80 lines; every #include points down
# (docs/architecture.md)
lint:
	tests/lint/shell
	tests/lint/funclen
	tests/lint/layers

path-tests: build-check/build.ninja
	tests/paths/run build-check

kvm-tests: build-check/build.ninja
	tests/kvm/run build-check

# every fuzz target's regression inputs, then 10 s of fuzzing each
fuzz-tests:
	FUZZ_SECONDS=10 tests/fuzz/run build-fuzz

fuzz: check-deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run build-fuzz

e2e: build-check/build.ninja
	tests/e2e/run build-check

demo: all
	@tools/deps demo
	tools/demo

bench: all
	@tools/deps bench
	bench/run

clean:
	rm -rf build build-check build-fuzz
