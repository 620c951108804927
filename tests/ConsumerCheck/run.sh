#!/usr/bin/env bash
# The consumer check: packs every package of the repository into a temporary folder feed and, in a folder outside the
# repository, builds and runs what a user would:
#   (a) an ONNX-only ML.NET console app (LoadImages → ResizeImages → ExtractPixels → Adef, saved and loaded again) on a
#       tiny ONNX model and PNG photos that the check makes itself; its linux-x64 publish size is printed beside the
#       same app without our package;
#   (b) a TorchSharp console app attacking a tiny nn.Module on this machine (Debian 12: the package's fix applies);
#   (c) the adef tool, installed from the feed with `dotnet tool install`, on the same photos;
#   (d) app (b) with Microsoft.ML.TorchSharp (ML.NET's TorchSharp trainers) beside it.
# Every step must succeed. The packages get a unique prerelease version, so no cached copy of an earlier pack is used.
# Each step deletes its build outputs before the next starts (a TorchSharp app's bin holds libtorch, about 1.5 GB), and
# the unique versions leave NuGet's package folder at exit, so the check needs little disk and leaves nothing behind.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version_of() { grep -o "Include=\"$1\" Version=\"[^\"]*\"" "$2" | head -1 | sed 's/.*Version="\([^"]*\)"/\1/'; }
mlnet=$(version_of Microsoft.ML "$root/src/Adef.MLNet/Adef.MLNet.csproj")
ort=$(version_of Microsoft.ML.OnnxRuntime "$root/src/Adef.Cli/Adef.Cli.csproj")
skia=$(version_of SkiaSharp "$root/src/Adef.MLNet/Adef.MLNet.csproj")
mlnet_torchsharp=0.24.0
suffix="consumer.$(date +%Y%m%d%H%M%S)"
work=$(mktemp -d /tmp/adef-consumer.XXXXXX)
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
version=""
cleanup() {
  rm -rf "$work"
  if [[ -n "$version" ]]; then
    for id in adef adef.mlnet adef.mlnet.torchsharp adef.mlnet.reporting; do rm -rf "${packages:?}/$id/$version"; done
  fi
}
trap cleanup EXIT
peak=0
note_size() { local size; size=$(du -sb "$work" | cut -f1); if (( size > peak )); then peak=$size; fi; }
feed="$work/feed"

echo "== packing (ML.NET $mlnet, ONNX Runtime $ort, SkiaSharp $skia) into $feed"
dotnet pack "$root/Adef.sln" -c Release -o "$feed" -p:VersionSuffix="$suffix" -v q -nologo
version=$(ls "$feed"/Adef.MLNet.1*.nupkg | sed 's/.*Adef\.MLNet\.\(.*\)\.nupkg/\1/')
ls "$feed"
cp -r "$here/ModelMaker" "$here/OnnxApp" "$here/TorchSharpApp" "$work/"
cp -r "$here/OnnxApp" "$work/OnnxAppBaseline"             # the same app without our package (publish size)
cp -r "$here/TorchSharpApp" "$work/TorchSharpAppMLNet"    # the same app beside Microsoft.ML.TorchSharp
sed "s#LOCAL_FEED#$feed#" > "$work/nuget.config" <<'CONFIG'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="LOCAL_FEED" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
</configuration>
CONFIG
props=(-p:AdefVersion="$version" -p:MLNetVersion="$mlnet" -p:OnnxRuntimeVersion="$ort" -p:SkiaSharpVersion="$skia")
cd "$work"

echo "== inputs: a tiny ONNX model and PNG photos"
dotnet run --project ModelMaker -c Release "${props[@]}" -- "$work/data"

echo "== (a) ONNX-only ML.NET app"
dotnet run --project OnnxApp -c Release "${props[@]}" -- "$work/data"
dotnet publish OnnxApp -c Release -r linux-x64 --self-contained false -o "$work/publish-with" "${props[@]}" -v q -nologo
dotnet publish OnnxAppBaseline -c Release -r linux-x64 --self-contained false -o "$work/publish-without" "${props[@]}" -p:WithoutAdef=true -v q -nologo
with=$(du -sb "$work/publish-with" | cut -f1); without=$(du -sb "$work/publish-without" | cut -f1)
echo "publish size (linux-x64): $((with / 1024)) KiB with Adef.MLNet, $((without / 1024)) KiB without; ours: $(((with - without) / 1024)) KiB"
note_size
rm -rf "$work/publish-with" "$work/publish-without" OnnxApp/bin OnnxApp/obj OnnxAppBaseline ModelMaker/bin ModelMaker/obj

echo "== (b) TorchSharp app"
dotnet run --project TorchSharpApp -c Release "${props[@]}"
note_size
rm -rf TorchSharpApp/bin TorchSharpApp/obj

echo "== (c) the adef tool"
dotnet tool install --tool-path "$work/tool" --add-source "$feed" --version "$version" adef
"$work/tool/adef" --version
"$work/tool/adef" attack --model "$work/data/tiny.onnx" --images "$work/data/photos" --out "$work/tool-out" --size 8,8 --scale 1
test -s "$work/tool-out/results.csv" && head -3 "$work/tool-out/results.csv"
note_size
rm -rf "$work/tool" "$work/tool-out"

echo "== (d) TorchSharp app beside Microsoft.ML.TorchSharp $mlnet_torchsharp"
dotnet run --project TorchSharpAppMLNet -c Release "${props[@]}" -p:MLNetTorchSharpVersion="$mlnet_torchsharp"
note_size
echo "peak disk use of the check's folder: $((peak / 1024 / 1024)) MiB"
echo "== consumer check passed"
