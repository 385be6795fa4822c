# Thin wrapper so the README commands stay short. Everything real is in CMake.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test proofs format format-check clean

all: build

deps:
	@tools/deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DBH_DEPS_DIR=$(abspath $(BUILD))/deps $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j$(JOBS)

# Build and boot the default example; console on this terminal, Ctrl-A X quits.
run: build
	@$(BUILD)/tests/harness/bh-qemu-run --interactive --image $(BUILD)/images/default.img

# Every CTest test (unit, spec, proof, qemu, linux), then CTest's summary.
test: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

proofs: build
	@cd $(BUILD) && ctest --output-on-failure -L proof

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

format-check:
	@git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror

clean:
	@rm -rf $(BUILD)
