# SPDX-License-Identifier: MIT
# Thin wrapper around CMake: `make run`, `make test`, `make bench`, `make lint`.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
CMAKE_ARGS ?=
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
SYSFS      ?= /sys

.PHONY: all deps test-deps bench-deps configure build run test bench soak fuzz package fleet \
        format lint clean dashboards mixin

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

bench-deps:
	@scripts/install-deps.sh bench

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

LISTEN     ?= :10062

# The exporter on this machine's real KSM counters: curl localhost:10062/metrics
run: build
	$(BUILD)/exporter/ksm_exporter --web.listen-address=$(LISTEN) --path.sysfs=$(SYSFS)

test: test-deps configure
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure --timeout 600

bench: bench-deps
	$(MAKE) build BUILD=$(BUILD)-release BUILD_TYPE=Release
	$(BUILD)-release/tests/bench_sampler $(SYSFS)
	$(BUILD)-release/tests/bench_collectd $(SYSFS)
	$(BUILD)-release/tests/bench_procfs
	SYSFS=$(SYSFS) BENCH_GZIP=$(BUILD)-release/tests/bench_gzip \
	    tests/bench/bench_exporter.sh \
	    $(BUILD)-release/exporter/ksm_exporter $(BUILD)-release/tests/floor_server
	tests/bench/bench_guests.sh $(BUILD)-release/exporter/ksm_exporter \
	    $(BUILD)-release/tests/nothp
	tests/bench/bench_bighost.sh $(BUILD)-release/exporter/ksm_exporter \
	    $(BUILD)-release/tests/bighost $(BUILD)-release/tests/bench_cadence
	SYSFS=$(SYSFS) tests/bench/bench_auth.sh \
	    $(BUILD)-release/exporter/ksm_exporter \
	    $(BUILD)-release/tests/bcrypt_hash $(BUILD)-release/tests/auth_flood

# dashboards/: the dashboards, alert and recording rules, rendered from the
# jsonnet mixin there and the findings catalogue (common/src/findings_catalogue.c),
# which a small tool prints to dashboards/lib/findings.json.
mixin: configure
	cmake --build $(BUILD) --target mixin

dashboards: mixin

# The Debian package, built for prefix /usr (configuration in /etc).
package: deps
	cmake -S . -B $(BUILD)-package -DCMAKE_BUILD_TYPE=Release \
	    -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF $(CMAKE_ARGS)
	cmake --build $(BUILD)-package -j $(JOBS)
	cd $(BUILD)-package && cpack
	@ls -1 $(BUILD)-package/*.deb

# 200 exporters and one Prometheus on this machine (not part of make test).
FLEET ?= 200
fleet: test-deps
	$(MAKE) build BUILD=$(BUILD)-release BUILD_TYPE=Release
	tests/fleet/fleet.sh $(BUILD)-release/exporter/ksm_exporter . $(FLEET)

# 100,000 scrapes against an ASan/LSan build and a release build.
soak: bench-deps
	$(MAKE) build BUILD=$(BUILD)-asan BUILD_TYPE=Debug \
	    CMAKE_ARGS="-DKSM_SANITIZE=address,undefined"
	$(MAKE) build BUILD=$(BUILD)-release BUILD_TYPE=Release
	tests/soak/soak.sh $(BUILD)-asan/exporter/ksm_exporter \
	    $(BUILD)-release/exporter/ksm_exporter $(SCRAPES)

# The libFuzzer harnesses, FUZZ_SECONDS each (needs clang).
FUZZ_SECONDS ?= 300
SCRAPES      ?= 100000
fuzz: test-deps
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(BUILD)-fuzz

# clang-format over every C file; `make lint` fails on what it would change
# and on any clang-tidy finding.
format:
	scripts/lint.sh format

lint: test-deps configure
	scripts/lint.sh check $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-release $(BUILD)-asan $(BUILD)-fuzz $(BUILD)-package
