#!/usr/bin/env bash
# The end-to-end demo on the built-in synthetic cohort: generate DICOM, preprocess, pretrain the tiny
# model, then zero-shot, linear probes (10/50/100%, three seeds, against a randomly initialised encoder)
# and fine-tuning, a mass detector, FActOR heatmaps, a deployable bundle and one exam analysed with it, ending in one HTML page:
# $DEMO_DIR/index.html.
# Every step resumes when the demo is started again with the same settings.
# Usage: scripts/demo.sh MAMMOFM_BINARY [DEMO_DIR]
set -euo pipefail

MAMMOFM="$1"
DIR="${2:-demo-output}"
THREADS="${THREADS:-$(nproc)}"
PATIENTS="${DEMO_PATIENTS:-600}"
PRETRAIN_EPOCHS="${DEMO_PRETRAIN_EPOCHS:-8}"
FINETUNE_EPOCHS="${DEMO_FINETUNE_EPOCHS:-1}"
CONFIG="$(cd "$(dirname "$0")/.." && pwd)/configs/pretrain/tiny.yaml"

mkdir -p "$DIR"
START=$(date +%s)
stage() { printf '\n== demo %s (%d s elapsed) ==\n' "$*" "$(( $(date +%s) - START ))" >&2; }
run() { "$MAMMOFM" "$@" --threads "$THREADS"; }

stage "1/11 engine check"
run doctor

# An easy cohort (large, high-contrast findings, five times the benign prevalence, three times the
# cancers) so that a few minutes of pretraining from scratch on 2 cores can learn its findings;
# calcification particles six times their size, as sub-millimetre ones vanish at the 256 x 160 input.
COHORT_OPTIONS=(--prevalence 5 --lesion-contrast 4 --lesion-size 2 --cancer-rate 3 --calcification-scale 6)
stage "2/11 synthetic cohort: $PATIENTS patients as DICOM (${COHORT_OPTIONS[*]})"
run synth --patients "$PATIENTS" --seed 1 "${COHORT_OPTIONS[@]}" --out "$DIR/cohort"
"$MAMMOFM" contact-sheet "$DIR/cohort" --out "$DIR/contact-sheet.png"

stage "3/11 preprocessing from DICOM (the reference's steps, at the demo model's 256x160 input)"
if [ ! -f "$DIR/prepared/manifest.csv" ]; then
    run preprocess "$DIR/cohort/dicom" --out "$DIR/prepared" --size 256x160 --keep-file-names
fi

stage "4/11 pretraining the tiny dual encoder ($PRETRAIN_EPOCHS epochs)"
# The tiny configuration's recipe for towers trained from scratch, at its 256 x 160 input: on the
# synth-2 cohort 8 epochs there tell masses from benign calcifications far better than 16 at 128 x 80
# (zero-shot mass 0.79 against 0.67; docs/experiments/2026-12-04-calcification-learnability.md).
run pretrain --config "$CONFIG" --set "data.csv=$DIR/cohort/mammoclip/pretrain.csv" --set "data.images=$DIR/prepared/images" \
    --set "training.epochs=$PRETRAIN_EPOCHS" \
    --set "output=$DIR/pretrain"

DATA=(--dataset "$DIR/cohort" --format synth --images "$DIR/prepared/images" --feature-cache "$DIR/features")

stage "5/11 zero-shot (reference and ensemble prompts)"
run zeroshot --model "$DIR/pretrain/final" "${DATA[@]}" --logit-scale --out "$DIR/zeroshot"

stage "6/11 linear probes: 10/50/100% of the training patients, seeds 0-2, against a random-init encoder"
run probe --model "$DIR/pretrain/final" "${DATA[@]}" --fractions 10%,50%,100% --seeds 0,1,2 --baseline random-init --out "$DIR/probe"

stage "7/11 fine-tuning the image tower ($FINETUNE_EPOCHS epoch(s) per task)"
run finetune --model "$DIR/pretrain/final" "${DATA[@]}" --epochs "$FINETUNE_EPOCHS" --out "$DIR/finetune"

stage "8/11 a mass detector on the pretrained tower (half the training patients, one epoch)"
# Anchors at half the reference's sizes: at 256 x 160 most masses are smaller than its 32-pixel anchors
# (docs/experiments/2026-12-07-detection-synthetic.md has the full-data run).
run train-detector --model "$DIR/pretrain/final" "${DATA[@]:0:6}" --finding mass --anchor-scale 0.5 --pyramid-width 64 \
    --learning-rate 1e-4 --epochs 1 --fraction "${DEMO_DETECTOR_FRACTION:-50%}" --bootstrap 200 --out "$DIR/detector-mass"

stage "9/11 Mammo-FActOR heatmaps of mass and calcification sentences, against dense similarity and Grad-CAM"
run train-factor --model "$DIR/pretrain/final" "${DATA[@]:0:6}" --bootstrap 200 --out "$DIR/factor"

stage "10/11 a deployable bundle (encoder, probe heads, the fine-tuned malignancy head, the mass detector, ensemble prompts) and one exam analysed with it"
# Probe heads for the findings and density, the fine-tuned tower for malignancy (a task whose validation
# split cannot set an operating point has no head and is left out).
HEADS=()
for TASK in mass calcification density; do
    if [ -d "$DIR/probe/heads/$TASK" ]; then HEADS+=(--head "$DIR/probe/heads/$TASK"); fi
done
if [ -d "$DIR/finetune/heads/malignancy" ]; then HEADS+=(--head "$DIR/finetune/heads/malignancy"); fi
"$MAMMOFM" bundle create --model "$DIR/pretrain/final" "${HEADS[@]}" --detector "$DIR/detector-mass/detector" --prompts ensemble --out "$DIR/bundle"
# A test-split patient with a mass (the cohort's split and findings tables name them), else the first test patient.
EXAM_PATIENT=$(awk -F, 'FNR == NR { if ($2 == "test") test[$1] = 1; next } FNR > 1 && $9 == "Mass" && ($4 in test) { print $4; exit }' \
    "$DIR/cohort/splits.csv" "$DIR/cohort/labels/findings.csv")
[ -n "$EXAM_PATIENT" ] || EXAM_PATIENT=$(awk -F, 'NR > 1 && $2 == "test" { print $1; exit }' "$DIR/cohort/splits.csv")
run analyze "$DIR/cohort/dicom/$EXAM_PATIENT" --bundle "$DIR/bundle" --out "$DIR/analysis"

stage "11/11 one page for everything"
"$MAMMOFM" summarize "$DIR/zeroshot/result.json" "$DIR/probe/result.json" "$DIR/finetune/result.json" --out "$DIR/index.html" \
    --title "MammoFM demo: synthetic cohort of $PATIENTS patients" \
    --link "pretraining page (loss curves)=$DIR/pretrain/training.html" --link "cohort contact sheet=$DIR/contact-sheet.png" \
    --link "one exam analysed with the bundle=$DIR/analysis/index.html" \
    --link "mass detector: AP, FROC curves, CPM and overlays=$DIR/detector-mass/results.html" \
    --link "FActOR heatmaps: pointing game, hit rates, examples=$DIR/factor/results.html" \
    | tee "$DIR/results.md"

stage "done: open $DIR/index.html"
