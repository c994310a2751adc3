#!/usr/bin/env bash
# Load test of `mammofm serve` on loopback: wrk submits one exam (STOW-RS body) per request on
# CONNECTIONS connections for SECONDS, as fast as the server answers; then the queue drains and the
# server's own metrics say how many accepted exams finished. Prints the answers by status, latency
# percentiles, exams per minute, resident memory at start and end, and one CSV line.
#   benchmarks/serve/load.sh MAMMOFM BUNDLE EXAM_FOLDER [SECONDS=300] [CONNECTIONS=4] [MAX_PENDING=16]
set -euo pipefail
MAMMOFM="$1"; BUNDLE="$2"; EXAM="$3"; SECONDS_RUN="${4:-300}"; CONNECTIONS="${5:-4}"; MAX_PENDING="${6:-16}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mammofm-load.XXXXXX")"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
TOKEN="load-test-token-$(date +%s%N)"
echo "$TOKEN" > "$WORK/token"
python3 - "$EXAM" "$WORK/body" <<'PY'
import glob, sys
files = sorted(glob.glob(sys.argv[1] + "/*.dcm"))
body = b""
for f in files:
    body += b"--mammofm-load-boundary\r\nContent-Type: application/dicom\r\n\r\n" + open(f, "rb").read() + b"\r\n"
open(sys.argv[2], "wb").write(body + b"--mammofm-load-boundary--\r\n")
print(f"exam: {len(files)} files, {len(body)} bytes", file=sys.stderr)
PY
"$MAMMOFM" serve --bundle "$BUNDLE" --port 0 --token-file "$WORK/token" --work-dir "$WORK/jobs" --max-pending "$MAX_PENDING" \
    > "$WORK/serve.out" 2> "$WORK/serve.log" &
PID=$!
for _ in $(seq 300); do grep -q listening "$WORK/serve.out" && break; sleep 0.2; done
URL=$(awk '/listening on/ { print $3 }' "$WORK/serve.out")
AUTH="Authorization: Bearer $TOKEN"
metric() { curl -sf -H "$AUTH" "$URL/metrics" | awk -v name="$1" '$1 == name { print $2; found = 1 } END { if (!found) print 0 }'; }
rss() { awk '/VmRSS/ { print $2 }' "/proc/$PID/status"; }
# Warm up with a full batch and a full queue (WARMUP exams at once), so that the start figure is that of
# a server that has already run its largest batches: growth after it is what the load adds.
WARMUP=$(( MAX_PENDING < 8 ? MAX_PENDING : 8 ))
for _ in $(seq "$WARMUP"); do
    curl -sf -H "$AUTH" -H 'Content-Type: multipart/related; type="application/dicom"; boundary=mammofm-load-boundary' \
        --data-binary @"$WORK/body" "$URL/v1/exams" > /dev/null
done
for _ in $(seq 1200); do [ "$(metric 'mammofm_exams_total{status="done"}')" = "$WARMUP" ] && break; sleep 0.1; done
RSS_START=$(rss)
MAMMOFM_LOAD_BODY="$WORK/body" MAMMOFM_LOAD_TOKEN="$TOKEN" wrk -t 1 -c "$CONNECTIONS" -d "${SECONDS_RUN}s" --timeout 60s --latency \
    -s "$HERE/submit.lua" "$URL/v1/exams" | tee "$WORK/wrk.out"
RSS_END_LOAD=$(rss)
# Every accepted exam must finish: wait for the queue to drain.
for _ in $(seq 3000); do
    [ "$(metric mammofm_queue_depth)" = "0.0" ] && [ "$(metric mammofm_jobs_in_flight)" = "0.0" ] && break
    sleep 0.2
done
RSS_END=$(rss)
# Accepted exams as the server counted its 202 answers (wrk misses the answers still in flight when it stops).
ACCEPTED=$(metric 'mammofm_http_requests_total{route="/v1/exams",status="202"}'); ACCEPTED=$(( ${ACCEPTED%.*} - WARMUP ))
REFUSED=$(awk '$1 == "status" && $2 == 503 { print $3 }' "$WORK/wrk.out"); REFUSED=${REFUSED:-0}
OTHER=$(awk '$1 == "status" && $2 != 202 && $2 != 503 { n += $3 } END { print n + 0 }' "$WORK/wrk.out")
DONE=$(metric 'mammofm_exams_total{status="done"}'); FAILED=$(metric 'mammofm_exams_total{status="failed"}')
P50=$(awk '$1 == "latency_ms" { print $3 }' "$WORK/wrk.out"); P99=$(awk '$1 == "latency_ms" { print $5 }' "$WORK/wrk.out")
ANALYSIS_SUM=$(metric mammofm_exam_analysis_seconds_sum); ANALYSIS_COUNT=$(metric mammofm_exam_analysis_seconds_count)
kill -TERM "$PID"; wait "$PID" || true
python3 - <<PY
accepted, refused, other = $ACCEPTED, $REFUSED, $OTHER
done, failed = int(float("$DONE")) - $WARMUP, int(float("$FAILED"))   # less the warm-up exams
start, end_load, end = $RSS_START / 1024, $RSS_END_LOAD / 1024, $RSS_END / 1024
print(f"answers: {accepted} accepted (202), {refused} refused with Retry-After (503), {other} other")
print(f"accepted exams finished: {done} done, {failed} failed, {accepted - done - failed} lost")
print(f"exams per minute: {done / ($SECONDS_RUN / 60):.1f}; mean analysis {float('$ANALYSIS_SUM') / max(1, float('$ANALYSIS_COUNT')):.3f} s")
print(f"latency of all answers: p50 {float('$P50'):.1f} ms, p99 {float('$P99'):.1f} ms")
print(f"resident memory: {start:.0f} MB after warm-up, {end_load:.0f} MB when the load stopped, {end:.0f} MB drained ({100 * (end - start) / start:+.1f}%)")
print("csv: seconds,connections,max_pending,accepted,refused,other,done,failed,lost,exams_per_minute,p50_ms,p99_ms,rss_start_mb,rss_end_mb")
print(f"csv: $SECONDS_RUN,$CONNECTIONS,$MAX_PENDING,{accepted},{refused},{other},{done},{failed},{accepted - done - failed},{done / ($SECONDS_RUN / 60):.1f},{float('$P50'):.1f},{float('$P99'):.1f},{start:.0f},{end:.0f}")
PY
