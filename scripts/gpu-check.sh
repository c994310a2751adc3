#!/usr/bin/env bash
# The GPU check: one command, under 10 minutes, on a machine with an NVIDIA GPU and what `make setup`
# installs (Swift 6, the PyPI torch wheel with its CUDA libraries). Runs the CUDA-gated tests (op
# parity CPU vs CUDA per op family, pretraining steps in float16 with loss scaling and in bfloat16),
# the full-size model benchmark on the GPU against PyTorch on the same GPU, and prints one summary.
# Each step's log goes to $OUT (or /tmp) as gpu-check-<step>.log.
# Usage: scripts/gpu-check.sh            (GPU_CHECK_SKIP_SETUP=1 skips `make setup`)
# On a GPU machine with no Swift toolchain (and no network), it runs the bundle that
# scripts/gpu-bundle.sh built elsewhere (GPU_BUNDLE, default .gpu/bundle.tar.xz) instead: the same
# engine check, CUDA training steps and model benchmark through the release binaries, plus a short
# pretraining in fp32, bf16 and fp16 on a synthetic cohort and zero-shot on the GPU; the CUDA-gated
# test suites need the toolchain and are not run then.
set -uo pipefail
cd "$(dirname "$0")/.."
LOGS="${OUT:-/tmp}"
mkdir -p "$LOGS"
declare -a SUMMARY
step() {  # step NAME COMMAND...: runs it with its log, records status and seconds
    local name="$1"; shift
    local started=$(date +%s)
    if "$@" > "$LOGS/gpu-check-$name.log" 2>&1; then status=ok; else status="FAILED ($?)"; fi
    SUMMARY+=("$(printf '%-22s %-12s %5d s' "$name" "$status" $(( $(date +%s) - started )))")
}

GPU="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)"
[ -n "$GPU" ] || { echo "gpu-check: no NVIDIA GPU (nvidia-smi found none)" >&2; exit 2; }
BUNDLE="${GPU_BUNDLE:-.gpu/bundle.tar.xz}"
if ! command -v swift >/dev/null 2>&1 && [ -f "$BUNDLE" ]; then
    # Sourced: it uses step, SUMMARY, LOGS and GPU from here, and exits with the check's status.
    source scripts/gpu-check-bundle.sh
fi
[ "${GPU_CHECK_SKIP_SETUP:-0}" = 1 ] || step setup make setup
step build swift build --build-tests
BIN="$(swift build --show-bin-path)"
step doctor "$BIN/mammofm" doctor --json
step smoke-train-cuda "$BIN/mammofm" smoke-train --device cuda --steps 40
step cuda-tests swift test --skip-build --no-parallel --filter 'CUDAParityTests|CUDATrainingTests|MetaDeviceTests|ModuleAndOptimizerTests'
step model-bench-cuda make bench-models BENCH_MODEL_ARGS="--device cuda --iterations 5"

echo
echo "gpu-check on: $GPU"
grep -h '"cuda' "$LOGS/gpu-check-doctor.log" | tr -s ' ' | head -3
printf '%s\n' "${SUMMARY[@]}"
grep -h -E '✘|passed after|failed after' "$LOGS/gpu-check-cuda-tests.log" | tail -8
grep -h -A6 '^model benchmark' "$LOGS/gpu-check-model-bench-cuda.log"
echo "NCCL: not built; process groups are Gloo (CPU tensors), so the data-parallel checks on a GPU wait for an NCCL backend"
printf '%s\n' "${SUMMARY[@]}" | grep -q FAILED && exit 1 || exit 0
