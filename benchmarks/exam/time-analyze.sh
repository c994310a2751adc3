#!/usr/bin/env bash
# Time of `mammofm analyze` for one four-view screening exam at full detector resolution, with a
# full-size bundle: a reference-configuration model (b5 by default: EfficientNet-B5 at 1520 x 912 and
# the BERT-base text tower, seeded random weights: the time does not depend on the weights) and the
# reference zero-shot prompts. Each run is a fresh process (bundle loaded and verified, exam read,
# preprocessed, encoded, scored, written); prints per run the stages from analysis.json, the wall
# time and peak resident memory, then one CSV line of medians.
#   benchmarks/exam/time-analyze.sh MAMMOFM MODEL_FOLDER_TOOL [VARIANT=b5] [RUNS=3] [DEVICE=cpu] [THREADS=all]
set -euo pipefail
MAMMOFM="$1"; MODEL_TOOL="$2"; VARIANT="${3:-b5}"; RUNS="${4:-3}"; DEVICE="${5:-cpu}"; THREADS="${6:-$(nproc)}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mammofm-exam-time.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$MODEL_TOOL" "$VARIANT" "$WORK/model" >&2
"$MAMMOFM" synth --patients 1 --seed 3 --full-resolution --max-exams 1 --out "$WORK/cohort" --threads "$THREADS" > /dev/null
EXAM="$(ls -d "$WORK"/cohort/dicom/* | head -1)"
"$MAMMOFM" bundle create --model "$WORK/model" --prompts reference --out "$WORK/bundle" > /dev/null
python3 - "$EXAM" <<'PY' >&2
import glob, os, sys
files = sorted(glob.glob(sys.argv[1] + "/*.dcm"))
print(f"exam: {len(files)} files, {sum(os.path.getsize(f) for f in files) / 1e6:.1f} MB")
PY

echo "run,read_s,preprocess_s,inference_s,write_s,analysis_total_s,wall_s,peak_rss_mb"
for RUN in $(seq "$RUNS"); do
    python3 - "$WORK/analysis-$RUN" "$RUN" "$MAMMOFM" analyze "$EXAM" --bundle "$WORK/bundle" --out "$WORK/analysis-$RUN" \
        --device "$DEVICE" --threads "$THREADS" <<'PY'
import json, resource, subprocess, sys, time
out, run, command = sys.argv[1], sys.argv[2], sys.argv[3:]
start = time.monotonic()
subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
t = json.load(open(out + "/analysis.json"))["timings"]
print(f"{run},{t['readSeconds']:.2f},{t['preprocessSeconds']:.2f},{t['inferenceSeconds']:.2f},{t['writeSeconds']:.2f},"
      f"{t['totalSeconds']:.2f},{wall:.2f},{peak_mb:.0f}")
PY
done
