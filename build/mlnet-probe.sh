#!/usr/bin/env bash
# The checks behind docs/mlnet.md: builds build/mlnet-probe against ML.NET 6.0.0 (with this checkout's core) and
# 5.0.1 (for comparison), runs each probe, and prints what it finds.
#   build/mlnet-probe.sh [SHARED_DATA=../shared/data] [--gpu]
# --gpu also restores Microsoft.ML.OnnxRuntime.Gpu (about 300 MB of CUDA provider) for the ApplyOnnxModel fallback and
# the both-native-packages checks. Builds go to ${TMPDIR:-/tmp}/adef-mlnet-probe; nothing is written in the checkout.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
data=$(realpath "${1:-$root/../shared/data}")
gpu=${2:-}
out=${TMPDIR:-/tmp}/adef-mlnet-probe
probe=$root/build/mlnet-probe
build() { # name, then MSBuild properties
    local name=$1; shift
    dotnet build "$probe" -c Release -v q -nologo --artifacts-path "$out/$name" "$@" >/dev/null
    echo "$out/$name/bin/MLNetProbe/release/MLNetProbe.dll"
}
mnist=$data/models/mnist-zoo/mnist_batchN.onnx
v6=$(build v6); v5=$(build v5 -p:MLNet=5); v5sk3=$(build v5sk3 -p:MLNet=5 -p:Skia=3)
for v in v5 v6; do echo "## API surface, $v"; dotnet "${!v}" api; done
echo "## What a third-party assembly cannot compile (ML.NET 6.0.0)"
for try in column derive; do
    dotnet build "$probe" -c Release -nologo --artifacts-path "$out/try-$try" -p:Try=$try 2>&1 | grep -oE "error CS[0-9]+: [^[]*" | sort -u || true
done
for v in v5 v6; do echo "## Image transforms, $v"; dotnet "${!v}" images "$data/imagenet" "$out/images-$v"; done
echo "## ResizeImages → ExtractPixels, 5.0.1 against 6.0.0"
dotnet "$v6" cmp "$out/images-v5" "$out/images-v6"
echo "## ImageAnalytics 5.0.1 on SkiaSharp 3.119.4"
{ dotnet "$v5sk3" images "$data/imagenet" "$out/images-v5sk3" 2>&1 || true; } | grep -m1 -E "Exception|photos dumped" || true
echo "## Our transform in ML.NET 6.0.0"
dotnet "$v6" transform "$mnist"
echo "## CustomMapping persistence"
dotnet "$v6" custom
for v in v5 v6; do echo "## ApplyOnnxModel's batch size, $v"; dotnet "${!v}" onnxrows; done
echo "## ApplyOnnxModel, CPU package"
dotnet "$v6" onnx "$mnist" -1; dotnet "$v6" onnx "$mnist" 0
if [[ $gpu == --gpu ]]; then
    gpuonly=$(build gpu -p:OrtGpu=only); both=$(build both -p:OrtGpu=both)
    echo "## ApplyOnnxModel(gpuDeviceId: 0, fallbackToCpu: true), GPU package only"
    dotnet "$gpuonly" onnx "$mnist" 0 2>&1 | grep -v "^\s*$" | cut -c1-220
    echo "## Both native packages"
    dotnet "$both" onnx "$mnist" 0
    dotnet publish "$probe" -c Release -r linux-x64 -nologo --artifacts-path "$out/both-publish" -p:OrtGpu=both 2>&1 \
        | grep -oE "error NETSDK[0-9]+: [^:]*" | sort -u || true
fi
