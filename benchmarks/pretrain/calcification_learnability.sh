#!/usr/bin/env bash
# One run of the calcification learnability study: the demo's cohort options and pretraining recipe
# (configs/pretrain/tiny.yaml) for a cohort seed, a pretraining seed and an input size, then
# zero-shot (reference and ensemble prompts), a linear probe of suspicious calcification (100% of the
# training patients, seed 0), the same probe trained and scored on calcified images only (suspicious
# against benign calcifications, cohort_view.py --calcified-only), and the split of each
# calcification score by BI-RADS type and distribution (calcification_by_morphology.py), appended
# to RESULTS.csv.
# Usage: benchmarks/pretrain/calcification_learnability.sh MAMMOFM OUT_DIR COHORT_SEED PRETRAIN_SEED \
#            [SIZE=128x80] [EPOCHS=16] [RESULTS=OUT_DIR/results.csv]
# EXTRA_SETS="key=value ..." adds pretraining overrides, TAG names such a variant in paths and labels;
# DEVICE (e.g. cuda) is where models compute; PYTHON replaces scripts/torch-python.sh's Python.
set -euo pipefail
MAMMOFM="$1" OUT="$2" COHORT_SEED="$3" PRETRAIN_SEED="$4"
SIZE="${5:-128x80}" EPOCHS="${6:-16}" RESULTS="${7:-$2/results.csv}"
ROOT="${MAMMOFM_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
THREADS="${THREADS:-$(nproc)}"
DEVICE_OPTIONS=(--device "${DEVICE:-cpu}")
py() { if [ -n "${PYTHON:-}" ]; then "$PYTHON" "$@"; else bash "$ROOT/scripts/torch-python.sh" "$@"; fi; }
HEIGHT="${SIZE%x*}" WIDTH="${SIZE#*x}"
COHORT="$OUT/cohort-$COHORT_SEED" PREPARED="$OUT/prepared-$COHORT_SEED-$SIZE"
RUN="$OUT/run-c$COHORT_SEED-p$PRETRAIN_SEED-$SIZE-e$EPOCHS${TAG:+-$TAG}"
LABEL="cohort$COHORT_SEED-seed$PRETRAIN_SEED-$SIZE-e$EPOCHS${TAG:+-$TAG}"
EXTRA=()
for assignment in ${EXTRA_SETS:-}; do EXTRA+=(--set "$assignment"); done
mkdir -p "$OUT"
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started )) s"; }

[ -f "$COHORT/cohort.json" ] || "$MAMMOFM" synth --patients "${PATIENTS:-600}" --seed "$COHORT_SEED" --prevalence 5 --lesion-contrast 4 \
    --lesion-size 2 --cancer-rate 3 --calcification-scale 6 --out "$COHORT" --threads "$THREADS"
[ -f "$PREPARED/manifest.csv" ] || "$MAMMOFM" preprocess "$COHORT/dicom" --out "$PREPARED" --size "$SIZE" --keep-file-names --threads "$THREADS"
echo "cohort and preprocessing: $(elapsed)"
"$MAMMOFM" pretrain --config "$ROOT/configs/pretrain/tiny.yaml" --threads "$THREADS" "${DEVICE_OPTIONS[@]}" \
    --set "data.csv=$COHORT/mammoclip/pretrain.csv" --set "data.images=$PREPARED/images" \
    --set "training.epochs=$EPOCHS" --set "training.seed=$PRETRAIN_SEED" \
    --set "model.input_height=$HEIGHT" --set "model.input_width=$WIDTH" --set "output=$RUN/pretrain" ${EXTRA[@]+"${EXTRA[@]}"}
echo "pretraining done: $(elapsed)"
# Every study reads the same images and feature cache; only the dataset (the cohort or its view) differs.
STUDY=(--model "$RUN/pretrain/final" --format synth --images "$PREPARED/images" --feature-cache "$RUN/features" --threads "$THREADS" "${DEVICE_OPTIONS[@]}")
"$MAMMOFM" zeroshot "${STUDY[@]}" --dataset "$COHORT" --tasks mass,calcification,malignancy --out "$RUN/zeroshot"
"$MAMMOFM" probe "${STUDY[@]}" --dataset "$COHORT" --tasks calcification --fractions 100% --seeds 0 --out "$RUN/probe"
[ -d "$COHORT-calcified" ] || py "$ROOT/benchmarks/pretrain/cohort_view.py" "$COHORT" "$COHORT-calcified" --calcified-only
"$MAMMOFM" probe "${STUDY[@]}" --dataset "$COHORT-calcified" --tasks calcification --fractions 100% --seeds 0 --out "$RUN/probe-calcified"
echo "zero-shot and probes done: $(elapsed)"
for predictions in "$RUN"/zeroshot/predictions/*calcification*.csv "$RUN"/probe/predictions/*calcification*.csv; do
    [ -f "$predictions" ] || continue
    name="$(basename "$(dirname "$(dirname "$predictions")")")/$(basename "$predictions" .csv)"
    echo "== $name"
    py "$ROOT/benchmarks/pretrain/calcification_by_morphology.py" "$COHORT" "$predictions" \
        --csv "$RESULTS" --label "$LABEL:$name"
done
echo "$LABEL finished: $(elapsed)"
