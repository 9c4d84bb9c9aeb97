# csihar: the two quick-start commands are `make run` and `make test`.
SWIFT ?= swift
# Debug build for tests; the daemon demo and benchmarks use release.
# mosquitto (the broker), mosquitto-clients (mosquitto_sub/pub/passwd), openssl (a TLS certificate): the MQTT tests
# start their own broker. librsvg2-bin (rsvg-convert): `csihar plot -o FILE.png` and its test.
TEST_PACKAGES ?= systemd mosquitto mosquitto-clients openssl librsvg2-bin
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: all deps build release run test soak fuzz sanitize clean install uninstall man

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

## run: set up, build, and run the daemon on a bundled sample, printing the events it publishes.
run: release
	@scripts/run-demo.sh

## test: set up, build (debug) and run every test, then `make install BUILD=debug` into a scratch DESTDIR and check
## the installed tree (scripts/test-install.sh).
test:
	@scripts/install-deps.sh $(TEST_PACKAGES)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@scripts/test-install.sh

## install: build (release), then install csihard and csihar, the models, the systemd units, the sysusers entry, the
## config (/etc/csihard/csihard.toml: an existing one is never overwritten), man pages and bash/zsh/fish completions
## under $(DESTDIR)$(PREFIX) (scripts/install.sh lists every path). BUILD=debug installs the debug build (the install
## test does); NOBUILD=1 installs what is built (`make release && sudo make install NOBUILD=1` keeps root out of
## .build); SWIFT_BUILD_FLAGS=--static-swift-stdlib makes binaries that run without the Swift runtime installed.
## uninstall: removes what install put there, but the config.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= release
SWIFT_BUILD_FLAGS ?=
NOBUILD ?=
install:
ifeq ($(NOBUILD),)
	$(SWIFT) build -c $(BUILD) $(SWIFT_BUILD_FLAGS)
endif
	@BIN_DIR="$$($(SWIFT) build -c $(BUILD) $(SWIFT_BUILD_FLAGS) --show-bin-path)" PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" \
		scripts/install.sh install

uninstall:
	@PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" scripts/install.sh uninstall

## man: regenerate man/csihar.1 and man/csihard.1 from the commands' ArgumentParser definitions (debug build).
man:
	@scripts/make-man.sh

## soak: one hour of generated capture at 20x through the release daemon with churning subscribers (~4 min).
soak: release
	@scripts/soak.sh

## fuzz: build the libFuzzer targets in Fuzz/ and run each for FUZZ_SECONDS (default 30); fails on any crash,
## leak, timeout or out-of-memory and prints executions, exec/s and coverage per target.
FUZZ_SECONDS ?= 30
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

## sanitize: the whole test suite under AddressSanitizer, then ThreadSanitizer (.build-asan, .build-tsan).
sanitize:
	@TEST_PACKAGES="$(TEST_PACKAGES)" scripts/sanitize.sh

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz
