# Ferry: the two commands a newcomer needs are `make run` and `make test`.
SWIFT ?= swift
# Extra flags for swift build, e.g. SWIFT_BUILD_FLAGS="-Xswiftc -warnings-as-errors" (CI sets it).
SWIFT_BUILD_FLAGS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := libyaml-dev iproute2 nftables gcc python3
# mkfs.ext4 (e2fsprogs) and losetup (mount): the file system each bench makes for itself.
BENCH_PACKAGES := iperf3 strace e2fsprogs mount
# The browser the HTML report's end-to-end test opens it in, the sshd the remote-host tests start in namespaces, and
# what the bench's file system test needs (each test skipped, with the reason, without them).
TEST_PACKAGES := chromium openssh-server e2fsprogs mount

.PHONY: all deps test-deps install-packages build release dist run test scenarios screenshots sanitize fuzz bench sample clean

all: build

## deps: install the Debian packages Ferry needs that are missing (apt-get update first).
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEBIAN_PACKAGES)"

## test-deps: also what the tests use when present (headless chromium for the HTML report's test).
test-deps: deps
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(TEST_PACKAGES)"

# No service starts from what is installed here (openssh-server would start the machine's own sshd): a policy-rc.d
# saying no is put in place for the install when the machine has none.
install-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  guard=""; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' | $(SUDO) tee /usr/sbin/policy-rc.d >/dev/null; \
	    $(SUDO) chmod 755 /usr/sbin/policy-rc.d; guard=1; fi; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; status=$$?; \
	  if [ -n "$$guard" ]; then $(SUDO) rm -f /usr/sbin/policy-rc.d; fi; exit $$status; fi

## build: debug build of every executable and the tests.
build:
	$(SWIFT) build --build-tests $(SWIFT_BUILD_FLAGS)

## release: optimized executables in .build/release.
release:
	$(SWIFT) build -c release

## dist: server and client with the Swift runtime and Foundation linked in, stripped, in .build/dist: they run on a
## Debian or Ubuntu machine of the same architecture without Swift. The runner copies them to remote hosts (docs/remote.md).
DIST := .build/dist
dist:
	$(SWIFT) build -c release --static-swift-stdlib --product server
	$(SWIFT) build -c release --static-swift-stdlib --product client
	mkdir -p $(DIST)
	strip -o $(DIST)/server .build/release/server
	strip -o $(DIST)/client .build/release/client

## run: install what is missing, build, and run the main job.
run: deps build
	mkdir -p runs
	./.build/debug/runner scenarios/default.yaml --html runs/last-report.html

## scenarios: every scenario in scenarios/ under the runner. Needs root for network namespaces;
## without it they are skipped with the reason (the runner would otherwise use this machine's own address).
scenarios: build
	@if [ "$$(id -u)" = 0 ]; then \
	  ./.build/debug/runner scenarios/*.yaml --junit .build/scenarios-junit.xml --json .build/scenarios.json; \
	else echo "scenarios skipped: the runner needs root to make network namespaces"; fi

## test: every scenario under the runner, then the unit and end-to-end tests (the remote-host ones use make dist's binaries).
test: scenarios dist
	$(SWIFT) test --skip-build

## screenshots: the HTML report's browser test, leaving its screenshots in docs/images for docs/lab.md. Needs root and chromium.
screenshots: build
	mkdir -p docs/images
	FERRY_SCREENSHOTS=$(CURDIR)/docs/images FERRY_REQUIRE_BROWSER=1 $(SWIFT) test --skip-build --filter HTMLReportBrowserTests

## sanitize: the unit tests under AddressSanitizer, then ThreadSanitizer, each in a build folder of its own.
## (The end-to-end tests run the built executables, which are not sanitized builds.)
sanitize:
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan --skip EndToEndTests $(SWIFT_BUILD_FLAGS)
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip EndToEndTests $(SWIFT_BUILD_FLAGS)

## fuzz: libFuzzer (with AddressSanitizer) on every decoder of outside input and the datagram session, each for FUZZ_SECONDS
## (default 60) from the seed corpus in Tests/Fuzz/corpus (left as it is; new inputs go to .build-fuzz).
FUZZ_SECONDS ?= 60
FUZZ := .build-fuzz
FUZZ_FLAGS := -sanitize=fuzzer,address -parse-as-library -O
fuzz:
	mkdir -p $(FUZZ)/lib
	for target in wire session; do \
	  swiftc $(FUZZ_FLAGS) -module-name FerryCore $$(find Sources/FerryCore -name "*.swift") Tests/Fuzz/$$(echo $$target | sed "s/./\U&/")Fuzz.swift -o $(FUZZ)/$$target || exit 1; \
	done
	swiftc $(FUZZ_FLAGS) -module-name FerryCore -emit-module -emit-module-path $(FUZZ)/lib/FerryCore.swiftmodule \
	  -emit-library -static -o $(FUZZ)/lib/libFerryCore.a $$(find Sources/FerryCore -name '*.swift')
	for target in scenario template; do \
	  swiftc $(FUZZ_FLAGS) -module-name FerryScenario -I $(FUZZ)/lib -I Sources/CYAML -L $(FUZZ)/lib -lFerryCore -lyaml \
	    $$(find Sources/FerryScenario -name '*.swift') Tests/Fuzz/$$(echo $$target | sed 's/./\U&/')Fuzz.swift -o $(FUZZ)/$$target || exit 1; \
	done
	for target in wire session scenario template; do \
	  mkdir -p $(FUZZ)/corpus/$$target; \
	  ASAN_OPTIONS=detect_leaks=0 $(FUZZ)/$$target -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=$(FUZZ)/$$target- \
	    $(FUZZ)/corpus/$$target Tests/Fuzz/corpus/$$target > $(FUZZ)/$$target.log 2>&1; status=$$?; \
	  grep -E '^stat::(number_of_executed_units|new_units_added)' $(FUZZ)/$$target.log | sed "s/^/$$target: /"; \
	  echo "$$target: corpus $$(ls $(FUZZ)/corpus/$$target Tests/Fuzz/corpus/$$target | grep -vc ':$$') files"; \
	  [ $$status = 0 ] || { tail -40 $(FUZZ)/$$target.log; echo "$$target: a finding, input saved as $(FUZZ)/$$target-*"; exit 1; }; \
	done

## bench: release build, then Ferry beside the anchors (../shared/anchors or $$FERRY_ANCHORS) and iperf3. Needs root.
bench: deps release
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(BENCH_PACKAGES)"
	./.build/release/bench --rounds $${ROUNDS:-5}

## sample: remake scenarios/files/sample.txt (65,550 bytes, deterministic).
sample:
	seq -f 'Ferry sample line %04g: the quick brown fox jumps over the lazy dog.' 1 950 > scenarios/files/sample.txt

clean:
	rm -rf .build runs
