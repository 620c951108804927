#!/usr/bin/env bash
# The cluster check: `adef attack --cluster` with real processes on 127.0.0.1. Starts redis-server on a free port, three
# `adef worker` processes and a client on an untrained MNIST-A and random digits (`Samples cluster-inputs`), SIGKILLs one
# worker while it works, then the client, resumes the client with --resume, and checks that results.csv lists every
# image exactly once with its PNG; then runs the same job
# in one process and reports how many rows differ (different batch compositions round differently). Every process must
# end within a fixed time; workers are stopped before Redis (silos hang when their membership store is already gone).
#   tests/ClusterCheck/run.sh [IMAGES=600]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
images=${1:-600}
work=$(mktemp -d /tmp/adef-cluster.XXXXXX)
cluster_id="check-$$"
redis_pid=""
workers=()

stop_workers() {
  local pid
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${workers[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "FAIL: worker $pid did not stop within 15 s of SIGTERM" >&2
      kill -KILL "$pid" 2>/dev/null || true
      return 1
    fi
  done
  workers=()
}
cleanup() {
  stop_workers || true
  if [[ -n "$redis_pid" ]]; then kill -TERM "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for log in "$work"/*.log; do echo "--- $log"; tail -20 "$log"; done >&2; exit 1; }

command -v redis-server >/dev/null || fail "redis-server is not installed (Debian: apt-get install -y redis-server)"
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

echo "== building the adef tool and the samples"
dotnet build "$root/src/Adef.Cli" -c Release -v q -nologo >/dev/null
dotnet build "$root/src/Samples" -c Release -v q -nologo >/dev/null
adef=(dotnet "$root/src/Adef.Cli/bin/Release/net10.0/adef.dll")
dotnet "$root/src/Samples/bin/Release/net10.0/Samples.dll" cluster-inputs --out "$work/in" --images "$images" >/dev/null
started=$(date +%s)

port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
cluster=(--cluster "redis://127.0.0.1:$port" --cluster-id "$cluster_id")
echo "== redis-server on 127.0.0.1:$port; starting 3 workers"

for i in 1 2 3; do
  "${adef[@]}" worker "${cluster[@]}" --silo-port 0 --gateway-port 0 >"$work/worker$i.log" 2>&1 &
  workers+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 1 600); do grep -q "joined" "$work/worker$i.log" && break; sleep 0.1; done
  grep -q "joined" "$work/worker$i.log" || fail "worker $i did not join within 60 s"
done
joined=$(date +%s)

attack=(--model "$work/in/mnist-a.onnx" --images "$work/in/digits-images-idx3-ubyte" --preset mnist --batch-size 16)
echo "== client: $images digits in shards of 16; SIGKILL of worker 2 after 100 rows, of the client after 250, then --resume"
client_start=$(date +%s.%N)
# Not under `timeout`: SIGKILL must reach the client itself (timeout's child would outlive it); rows_above bounds the wait.
"${adef[@]}" attack "${attack[@]}" "${cluster[@]}" --shard-size 16 --out "$work/cluster" >"$work/client.log" 2>&1 &
client=$!
csv="$work/cluster/results.csv"
rows_above() { for _ in $(seq 1 900); do [[ -f "$csv" ]] && (( $(wc -l < "$csv") > $1 )) && return 0; kill -0 "$client" 2>/dev/null || return 1; sleep 0.1; done; return 1; }
rows_above 100 || { kill -KILL "$client" 2>/dev/null; fail "the client wrote no 100 rows within 90 s"; }
kill -KILL "${workers[1]}"
worker_killed_at=$(($(wc -l < "$csv") - 1))
workers=("${workers[0]}" "${workers[2]}")
rows_above 250 || { kill -KILL "$client" 2>/dev/null; fail "the client wrote no 250 rows within 90 s"; }
kill -KILL "$client"
wait "$client" 2>/dev/null || true
client_killed_at=$(($(wc -l < "$csv") - 1))
timeout 120 "${adef[@]}" attack "${attack[@]}" "${cluster[@]}" --shard-size 16 --out "$work/cluster" --resume >"$work/resumed.log" 2>&1 \
  || fail "the resumed client exited with $? (124: it did not finish within 120 s)"
client_seconds=$(echo "$(date +%s.%N) - $client_start" | bc)

rows=$(($(wc -l < "$csv") - 1))
unique=$(tail -n +2 "$csv" | cut -d, -f1 | sort -u | wc -l)
pngs=$(find "$work/cluster" -name '*.png' | wc -l)
(( rows == images )) || fail "results.csv has $rows rows for $images images"
(( unique == images )) || fail "results.csv has $unique distinct files for $images images"
(( pngs == images )) || fail "$pngs PNGs for $images images"
twice=$(grep -o '[0-9]* image(s) attacked twice' "$work/resumed.log" | cut -d' ' -f1)

echo "== the same job in one process"
single_start=$(date +%s.%N)
"${adef[@]}" attack "${attack[@]}" --out "$work/single" >"$work/single.log" 2>&1 || fail "the single-process run failed"
single_seconds=$(echo "$(date +%s.%N) - $single_start" | bc)
sort "$csv" > "$work/cluster.sorted"
sort "$work/single/results.csv" > "$work/single.sorted"
[[ "$(cut -d, -f1 "$work/cluster.sorted")" == "$(cut -d, -f1 "$work/single.sorted")" ]] || fail "the two runs list different files"
differ=$(comm -3 "$work/cluster.sorted" "$work/single.sorted" | grep -c . || true)
outcomes_differ=$(paste -d'|' <(cut -d, -f1,5 "$work/cluster.sorted") <(cut -d, -f1,5 "$work/single.sorted") | awk -F'|' '$1 != $2' | wc -l)

stop_workers || fail "a worker did not stop"
kill -TERM "$redis_pid"; wait "$redis_pid" 2>/dev/null || true; redis_pid=""
echo "cluster check passed: $images images, $rows rows each once, $pngs PNGs; worker 2 SIGKILLed after $worker_killed_at rows," \
     "the client after $client_killed_at and resumed;" \
     "${twice:-0} image(s) attacked twice; workers joined in $((joined - started)) s; client ${client_seconds%.*} s (one process:" \
     "${single_seconds%.*} s); vs one process: $((differ / 2)) row(s) differ in some field, $outcomes_differ in outcome;" \
     "$(($(date +%s) - started)) s after the build"
