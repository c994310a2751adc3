#!/usr/bin/env bash
# Builds the DICOM shim fuzzer (clang's libFuzzer + AddressSanitizer) and runs it on the synthetic
# fixtures as the seed corpus. Usage: fuzz/run.sh [SECONDS] (default 300). New crashing inputs are
# written to fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
out=.build-fuzz
mkdir -p "$out" fuzz/crashes "$out/corpus"
cp Tests/MammoImagingTests/Fixtures/synthetic/*.dcm "$out/corpus/"
clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address -ISources/CDICOM/include \
    Sources/CDICOM/cdicom.cpp fuzz/cdicom_fuzzer.cpp -lgdcmMSFF -lgdcmDSED -lgdcmCommon -o "$out/cdicom_fuzzer"
# GDCM's own assert() aborts are caught by the shim; ASan must not treat SIGABRT as fatal itself.
# A reader abandoned at a GDCM assert is leaked on purpose (its state is unknown), so resident memory
# grows with the number of such inputs: the RSS limit is high, single allocations are capped at 1 GB.
ASAN_OPTIONS=handle_abort=0:detect_leaks=0 "$out/cdicom_fuzzer" -max_total_time="$seconds" -rss_limit_mb=16000 -malloc_limit_mb=1024 \
    -artifact_prefix=fuzz/crashes/ "$out/corpus"
