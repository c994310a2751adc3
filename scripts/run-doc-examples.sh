#!/usr/bin/env bash
# Runs the shell examples of a document in order, as a new user would: every ```sh block of FILE
# (of README.md: only the quick start, the block after <!-- quickstart -->), from the repository root,
# with `mammofm` standing for BINARY and `work/` for a fresh temporary folder. Lines that build
# (`make ...`) are skipped: BINARY is already built. Stops at the first failing command.
# Usage: scripts/run-doc-examples.sh FILE BINARY
set -euo pipefail
FILE="$1"
BINARY="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
cd "$(dirname "$0")/.."
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mammofm-doc-examples.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
SCRIPT="$WORK/examples.sh"
python3 - "$FILE" "$WORK" > "$SCRIPT" <<'PY'
import re, sys
path, work = sys.argv[1], sys.argv[2]
text = open(path).read()
if path.endswith("README.md"):
    marker = text.index("<!-- quickstart -->")
    text = text[marker:]
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)[:1]
else:
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
print("set -euo pipefail")
for number, block in enumerate(blocks, 1):
    lines = [line for line in block.splitlines() if not line.startswith("make ")]
    print(f"echo '== example {number}' >&2")
    print("\n".join(lines).replace("work/", work + "/work/"))
PY
mkdir -p "$WORK/work"
mammofm() { "$BINARY" "$@"; }
export -f mammofm
export BINARY
started=$(date +%s)
bash "$SCRIPT" > "$WORK/output.log" 2>&1 || { tail -40 "$WORK/output.log"; echo "run-doc-examples: an example of $FILE failed (see above)" >&2; exit 1; }
echo "run-doc-examples: every example of $FILE ran ($(( $(date +%s) - started )) s)"
