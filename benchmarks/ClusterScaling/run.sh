#!/usr/bin/env bash
# Throughput of `adef attack --cluster` with 1, 2, ... real worker processes on 127.0.0.1 (Redis membership), against the
# same job in one process. Every run is a fresh cluster; images/s is the client's, from submitting to the last row.
#   benchmarks/ClusterScaling/run.sh MODEL IMAGES "WORKER COUNTS" [attack options...]
# e.g. benchmarks/ClusterScaling/run.sh ../shared/data/models/mnist-zoo/mnist_batchN.onnx \
#        ~/.cache/adef-mlnet/mnist/t10k-images-idx3-ubyte "1 2" --limit 1000 --preset mnist --scale 255 --channels gray
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
model=$(realpath "$1"); images=$(realpath "$2"); counts=$3; shift 3
work=$(mktemp -d /tmp/adef-scaling.XXXXXX)
redis_pid=""; workers=()
stop() { for p in "${workers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${workers[@]}"; do wait "$p" 2>/dev/null || true; done; workers=(); }
cleanup() { stop; [[ -n "$redis_pid" ]] && { kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
dotnet build "$root/src/Adef.Cli" -c Release -v q -nologo >/dev/null
adef=(dotnet "$root/src/Adef.Cli/bin/Release/net10.0/adef.dll")
rate() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"{d['imageCount']} images, {d['seconds']:.1f} s, {d['imagesPerSecond']:.1f} img/s\")" "$1/summary.json"; }
port=$((20000 + RANDOM % 40000))
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
sleep 1
"${adef[@]}" attack --model "$model" --images "$images" --out "$work/single" "$@" >"$work/single.log" 2>&1
echo "one process: $(rate "$work/single")"
for n in $counts; do
  id="scaling-$n-$$"
  for i in $(seq 1 "$n"); do
    "${adef[@]}" worker --cluster "redis://127.0.0.1:$port" --cluster-id "$id" >"$work/worker-$n-$i.log" 2>&1 &
    workers+=($!)
  done
  for i in $(seq 1 "$n"); do for _ in $(seq 1 600); do grep -q joined "$work/worker-$n-$i.log" && break; sleep 0.1; done; done
  "${adef[@]}" attack --cluster "redis://127.0.0.1:$port" --cluster-id "$id" --model "$model" --images "$images" \
    --out "$work/cluster-$n" "$@" >"$work/client-$n.log" 2>&1
  echo "$n worker(s): $(rate "$work/cluster-$n")"
  stop
done
