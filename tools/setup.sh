#!/usr/bin/env bash
# Installs what building and testing need on Debian: the Emscripten, Chromium, Firefox ESR, clang
# and PyTorch packages and Fashion-MNIST's dataset-fashion-mnist (as root, only those missing) and the npm
# packages pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v emcc >/dev/null 2>&1 || missing+=(emscripten)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v firefox-esr >/dev/null 2>&1 || missing+=(firefox-esr)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
# The fuzzers (make fuzz, and briefly make test): clang with libFuzzer's runtime.
command -v clang >/dev/null 2>&1 || missing+=(clang)
compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a' >/dev/null || missing+=(libclang-rt-14-dev)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || missing+=(dataset-fashion-mnist)
# GNU parallel: the sweep commands of train.mjs --print-commands, and their test.
command -v parallel >/dev/null 2>&1 || missing+=(parallel)
# PyTorch (Debian's, CPU): exported weights of every network are checked against it by a test,
# and the fixtures and the benchmark's comparison are made with it.
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || missing+=(python3-torch)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: please install as root: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
