#!/usr/bin/env bash
# Runs the Python of the cached torch install (fixture generators and benchmarks only).
set -euo pipefail
CACHE="${MAMMOFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mammofm}"
exec "$CACHE/torch-2.15.0/bin/python" "$@"
