#!/usr/bin/env bash
# Fuzzes MammoFM's Swift readers with mammofm-fuzz (seeded mutations; see fuzz/swift/main.swift):
# first the committed regression corpus (fuzz/regressions/<reader>/), then SECONDS of mutations per
# reader from the test fixtures and built-in seeds. A reader that traps or hangs leaves its input in
# fuzz/crashes/<reader>-<seed>.<ext> (keep it under fuzz/regressions/<reader>/ once fixed) and the
# script exits 1 after trying every reader.
#   fuzz/fuzz.sh BINARY [SECONDS per reader, default 10] [SEED, default 1] [READERS, default all]
set -uo pipefail
cd "$(dirname "$0")/.."
binary="$1"; seconds="${2:-10}"; seed="${3:-1}"; readers="${4:-dicom torch safetensors png csv yaml multipart}"
corpus=(--corpus Tests/MammoCLITests/Fixtures/crafted --corpus Tests/TorchTests/Fixtures --corpus Tests/MammoModelsTests/Fixtures
        --corpus Tests/MammoImagingTests/Fixtures/synthetic --corpus configs --corpus fuzz/regressions)
mkdir -p fuzz/crashes
failed=0
for reader in $readers; do
    work=".build-fuzz/work-$reader"
    mkdir -p "$work"
    regressions=(fuzz/regressions/"$reader"/*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$binary" replay "$reader" "${regressions[@]}" > "$work/replay.log" 2>&1; then
            echo "fuzz: $reader: a regression input crashed the reader again:"; tail -5 "$work/replay.log"; failed=1
        else
            echo "fuzz: $reader: ${#regressions[@]} regression inputs replayed, none crashed"
        fi
    fi
    "$binary" fuzz "$reader" --seconds "$seconds" --seed "$seed" --work "$work" "${corpus[@]}" 2> "$work/stderr.log"
    status=$?
    if [ "$status" -ne 0 ]; then
        failed=1
        keep=""
        for input in "$work"/current.*; do
            [ -e "$input" ] || continue
            keep="fuzz/crashes/$reader-$seed-$(date +%s).${input##*.}"
            cp "$input" "$keep"
        done
        echo "fuzz: $reader: the reader crashed (status $status); the input is kept as $keep"; tail -20 "$work/stderr.log"
    fi
done
exit "$failed"
