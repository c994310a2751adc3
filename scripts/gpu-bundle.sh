#!/usr/bin/env bash
# Builds, on this machine, what scripts/gpu-check.sh runs on a GPU machine that has CUDA and a PyTorch
# but no Swift toolchain and no network: release builds of mammofm and mammofm-model-bench linked
# against the libtorch of the same torch version as that machine's (headers and libraries from the
# PyPI wheel of that version), the Swift runtime and Debian libraries they load, and the model
# benchmark's pure-Python reference (efficientnet_pytorch), packed as one file.
# On the GPU machine the binaries load that machine's own torch libraries (LD_LIBRARY_PATH) with
# libtorch_cuda preloaded, so CUDA kernels are those of its PyTorch.
# Usage: scripts/gpu-bundle.sh TORCH_VERSION [BUNDLE_FILE]   e.g. scripts/gpu-bundle.sh 2.11.0 .gpu/bundle.tar.xz
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:?usage: scripts/gpu-bundle.sh TORCH_VERSION [BUNDLE_FILE]}"
BUNDLE_FILE="${2:-.gpu/bundle.tar.xz}"
CACHE="${MAMMOFM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mammofm}"
WHEEL_DIR="$CACHE/gpu-bundle/torch-$VERSION"
SCRATCH=".build-gpu-$VERSION"
say() { printf 'gpu-bundle: %s\n' "$*" >&2; }
pip_pypi() { env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null python3 -m pip "$@"; }

if [ ! -f "$WHEEL_DIR/.complete" ]; then
    say "fetching torch==$VERSION (headers and libraries only) into $WHEEL_DIR"
    rm -rf "$WHEEL_DIR" && mkdir -p "$WHEEL_DIR"
    pip_pypi download --quiet --no-deps --only-binary=:all: "torch==$VERSION" -d "$WHEEL_DIR"
    (cd "$WHEEL_DIR" && unzip -q torch-*.whl 'torch/include/*' 'torch/lib/*' && rm torch-*.whl)
    touch "$WHEEL_DIR/.complete"
fi

# libtorch_cuda is preloaded on the GPU machine, not linked here: its CUDA libraries are not on this one.
for product in mammofm mammofm-model-bench; do
    say "building $product (release) against torch $VERSION in $SCRATCH"
    MAMMOFM_LIBTORCH="$WHEEL_DIR/torch" MAMMOFM_CUDA=0 swift build -c release --scratch-path "$SCRATCH" --product "$product"
done
BIN="$(MAMMOFM_LIBTORCH="$WHEEL_DIR/torch" MAMMOFM_CUDA=0 swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bundle/bin" "$STAGE/bundle/lib" "$STAGE/bundle/python"
cp "$BIN/mammofm" "$BIN/mammofm-model-bench" "$STAGE/bundle/bin/"
strip "$STAGE/bundle/bin/"*
# Every library the binaries load except glibc's, the C++ runtime and torch's own (the GPU machine's).
for binary in "$STAGE/bundle/bin/"*; do
    ldd "$binary" | awk '$3 ~ /^\// { print $3 }'
done | sort -u | while read -r library; do
    case "$(basename "$library")" in
        libc.so*|libm.so*|libdl.so*|librt.so*|libpthread.so*|ld-linux*|libstdc++*|libgcc_s*|libgomp*) ;;
        libtorch*|libc10*|libshm*) ;;
        *) cp -L "$library" "$STAGE/bundle/lib/" ;;
    esac
done
pip_pypi install --quiet --no-deps --no-compile --target "$STAGE/bundle/python" efficientnet_pytorch==0.7.1
echo "$VERSION" > "$STAGE/bundle/torch-version"
mkdir -p "$(dirname "$BUNDLE_FILE")"
tar -C "$STAGE" -cJf "$BUNDLE_FILE.tmp" bundle
mv "$BUNDLE_FILE.tmp" "$BUNDLE_FILE"
say "wrote $BUNDLE_FILE ($(du -h "$BUNDLE_FILE" | cut -f1)); carry it with the working tree and run scripts/gpu-check.sh there"
