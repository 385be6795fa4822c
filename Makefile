# Thin wrapper so the README commands stay short. Everything real is in CMake.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# Guest payloads: Linux from Debian's arm64 packages (tools/fetch-payloads.sh,
# cached), the examples' bare-metal guests from the target build.
PAYLOADS := $(abspath $(BUILD))/deps/payloads
GUESTS := $(abspath $(BUILD))/target/payloads

.PHONY: all deps configure build payloads run test proofs format format-check clean

all: build

deps:
	@tools/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DBH_DEPS_DIR=$(abspath $(BUILD))/deps $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

payloads: deps
	@tools/fetch-payloads.sh $(PAYLOADS)

# Build and boot examples/default.dts (a Linux guest and the bare-metal control
# guest); console on this terminal, typed input goes to Linux, Ctrl-A X quits.
run: build payloads
	@$(BUILD)/tools/bulkhead/bulkhead run examples/default.dts \
		--payload-dir $(PAYLOADS) --payload-dir $(GUESTS)

# Every CTest test (unit, spec, proof, qemu, linux), then CTest's summary.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The proofs and the runner's self-test, side by side.
proofs: build
	@cd $(BUILD) && ctest --output-on-failure -L proof -j$(JOBS)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf $(BUILD)
