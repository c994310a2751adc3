# The GPU check from a bundle of scripts/gpu-bundle.sh, on a machine with CUDA and a PyTorch of the
# bundle's torch version but no Swift toolchain. Sourced by scripts/gpu-check.sh, whose step, SUMMARY,
# LOGS, GPU and BUNDLE it uses; exits with the check's status.
WORK="$(mktemp -d)"
tar -C "$WORK" -xJf "$BUNDLE" || { echo "gpu-check: cannot unpack $BUNDLE" >&2; exit 2; }
B="$WORK/bundle"
PYTHON="$(command -v python3)"
TORCH_DIR="$("$PYTHON" -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
TORCH_VERSION="$("$PYTHON" -c 'import torch; print(torch.__version__)')"
case "$TORCH_VERSION" in
    "$(cat "$B/torch-version")"*) ;;
    *) echo "gpu-check: the bundle was built for torch $(cat "$B/torch-version"), this machine has $TORCH_VERSION" >&2; exit 2 ;;
esac
# Wrappers give the binaries (alone: not this machine's Python) the bundle's libraries and this
# machine's torch, with libtorch_cuda preloaded (nothing references it by symbol).
mkdir -p "$B/run"
for binary in mammofm mammofm-model-bench; do
    printf '#!/bin/sh\nLD_LIBRARY_PATH="%s:%s" LD_PRELOAD="%s" exec "%s" "$@"\n' \
        "$B/lib" "$TORCH_DIR/lib" "$TORCH_DIR/lib/libtorch_cuda.so" "$B/bin/$binary" > "$B/run/$binary"
    chmod +x "$B/run/$binary"
done
export PYTHONPATH="$B/python${PYTHONPATH:+:$PYTHONPATH}"
M="$B/run/mammofm"
THREADS="$(nproc)"

step doctor "$M" doctor --json
step smoke-train-cuda "$M" smoke-train --device cuda --steps 40
# A short pretraining of configs/pretrain/tiny-quick.yaml on its cohort (smaller), on the CPU and on
# the GPU in each precision, then zero-shot with the GPU's fp32 model on the GPU.
cohort() {
    "$M" synth --patients 160 --seed 2 --size 128x80 --prevalence 5 --lesion-contrast 4 --lesion-size 2 \
        --calcification-scale 6 --out "$WORK/quick" --jobs "$THREADS" &&
    "$M" preprocess "$WORK/quick/dicom" --out "$WORK/prepared" --size 128x80 --keep-file-names --threads "$THREADS"
}
step cohort cohort
pretrain() {  # pretrain NAME PRECISION DEVICE
    "$M" pretrain --config configs/pretrain/tiny-quick.yaml --device "$3" --threads "$THREADS" \
        --set "data.csv=$WORK/quick/mammoclip/pretrain.csv" --set "data.images=$WORK/prepared/images" \
        --set training.epochs=3 --set "training.precision=$2" --set "output=$WORK/run-$1"
}
step pretrain-cpu-fp32 pretrain cpu-fp32 fp32 cpu
step pretrain-cuda-fp32 pretrain cuda-fp32 fp32 cuda
step pretrain-cuda-bf16 pretrain cuda-bf16 bf16 cuda
step pretrain-cuda-fp16 pretrain cuda-fp16 fp16 cuda
step zeroshot-cuda "$M" zeroshot --device cuda --model "$WORK/run-cuda-fp32/final" --dataset "$WORK/quick" --format synth \
    --images "$WORK/prepared/images" --out "$WORK/zeroshot" --threads "$THREADS"
step model-bench-cuda "$PYTHON" benchmarks/models/compare.py --swift-binary "$B/run/mammofm-model-bench" \
    --threads "$THREADS" --device cuda --iterations 5

echo
echo "gpu-check (bundle of torch $(cat "$B/torch-version"), this machine's torch $TORCH_VERSION) on: $GPU"
grep -h '"cuda' "$LOGS/gpu-check-doctor.log" | tr -s ' ' | head -3
printf '%s\n' "${SUMMARY[@]}"
for run in cpu-fp32 cuda-fp32 cuda-bf16 cuda-fp16; do
    printf '%s: %s\n' "$run" "$(grep -h -i -E 'epoch|loss' "$LOGS/gpu-check-pretrain-$run.log" | tail -2 | tr '\n' ' ')"
done
grep -h -i 'auroc\|auc' "$LOGS/gpu-check-zeroshot-cuda.log" | head -6
grep -h -A6 '^model benchmark' "$LOGS/gpu-check-model-bench-cuda.log"
echo "Not run from a bundle: the CUDA-gated test suites (they need the Swift toolchain). NCCL: not built."
rm -rf "$WORK"
printf '%s\n' "${SUMMARY[@]}" | grep -q FAILED && exit 1 || exit 0
