#!/usr/bin/env bash
# Packs the samples for the lent GPU machine (../shared/tools/gpu-bundle) and adds what gpu-check reads there,
# which has no internet and no cache: the MNIST test set and the cached MNIST-A weights (trained here first by
# `dotnet run --project src/Samples -c Release -- mnist`). Then, with the device tool (carry [".device"]):
#   ADEF_MLNET_CACHE=.device/cache bash .device/run.sh app/Samples gpu-check
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
cache=${ADEF_MLNET_CACHE:-$HOME/.cache/adef-mlnet}
for f in mnist/t10k-images-idx3-ubyte mnist/t10k-labels-idx1-ubyte models/mnist-a-seed0.weights models/mnist-a-seed0.json; do
    [ -s "$cache/$f" ] || { echo "missing $cache/$f: run the mnist command once on this machine first" >&2; exit 1; }
done
"$root/../shared/tools/gpu-bundle" src/Samples
mkdir -p .device/cache/mnist .device/cache/models
cp "$cache"/mnist/t10k-*-ubyte .device/cache/mnist/
cp "$cache"/models/mnist-a-seed0.weights "$cache"/models/mnist-a-seed0.json .device/cache/models/
echo "gpu-check data: $(du -sh .device/cache | cut -f1) in .device/cache; with it, $(du -sh .device | cut -f1) in .device/"
