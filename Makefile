# csihar: the two quick-start commands are `make run` and `make test`.
SWIFT ?= swift
# Debug build for tests; the daemon demo and benchmarks use release.
# mosquitto (the broker), mosquitto-clients (mosquitto_sub/pub/passwd), openssl (a TLS certificate): the MQTT tests
# start their own broker. librsvg2-bin (rsvg-convert): `csihar plot -o FILE.png` and its test.
TEST_PACKAGES ?= systemd mosquitto mosquitto-clients openssl librsvg2-bin
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: all deps build release run test soak fuzz sanitize clean

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

## test: set up, build (debug) and run every test.
test:
	@scripts/install-deps.sh $(TEST_PACKAGES)
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

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
