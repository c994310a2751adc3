# MammoFM: `make demo` runs the main job, `make test` runs every test. Both install what they need.
SWIFT ?= swift
THREADS ?= $(shell nproc)
BUILD_FLAGS ?=
ifeq ($(MAMMOFM_TORCH),debian)
BUILD_FLAGS += --scratch-path .build-debian
endif

.PHONY: setup build release test demo fixtures bench doctor clean

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build $(BUILD_FLAGS)

release: setup
	$(SWIFT) build -c release $(BUILD_FLAGS)

test: setup
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS)

demo: release
	$(SWIFT) run -c release $(BUILD_FLAGS) mammofm doctor --threads $(THREADS)
	$(SWIFT) run -c release $(BUILD_FLAGS) mammofm smoke-train --threads $(THREADS)

doctor: build
	$(SWIFT) run $(BUILD_FLAGS) mammofm doctor

fixtures: setup
	bash scripts/torch-python.sh Tests/TorchTests/Fixtures/generate_fixtures.py

bench: setup
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-bench
	bash scripts/torch-python.sh benchmarks/engine/compare.py --swift-binary "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-bench" --threads $(THREADS)

clean:
	rm -rf .build .build-debian
