#!/usr/bin/env bash
# Paired CPU throughput of the attack engines: this checkout against an older revision.
#   build/cpu-ab.sh OLD_REV [adef|deepfool] [pairs=14] [images=256]
# Builds benchmarks/AttackThroughput against both revisions (the old one in a temporary git worktree), then runs them
# alternately, swapping which goes first every pair, and prints each pair and the geometric mean and median of
# new/old images per second (the second, warm repeat of each run). On a shared VM single runs swing by 2×; paired
# ratios over many alternations are what can show a 10 % change.
set -euo pipefail
old=${1:?usage: build/cpu-ab.sh OLD_REV [adef|deepfool] [pairs] [images]}
attack=${2:-deepfool}; pairs=${3:-14}; images=${4:-256}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d /tmp/cpu-ab.XXXXXX)
trap 'git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach -q "$work/old" "$old"
mkdir -p "$work/old/benchmarks"
cp -r "$root/benchmarks/AttackThroughput" "$work/old/benchmarks/"
rm -rf "$work/old/benchmarks/AttackThroughput/bin" "$work/old/benchmarks/AttackThroughput/obj"
for tree in "$root" "$work/old"; do
    dotnet build "$tree/benchmarks/AttackThroughput" -c Release -v q -nologo >/dev/null
done
run() { dotnet "$1/benchmarks/AttackThroughput/bin/Release/net10.0/AttackThroughput.dll" "$attack" "$images" 2 | tail -1 | cut -d' ' -f2; }
echo "pair old new ($attack, $images digits, img/s)"
for i in $(seq 1 "$pairs"); do
    if (( i % 2 )); then o=$(run "$work/old"); n=$(run "$root"); else n=$(run "$root"); o=$(run "$work/old"); fi
    echo "$i $o $n"
done | tee "$work/pairs.txt"
awk '{ print $3 / $2 }' "$work/pairs.txt" | sort -g > "$work/ratios.txt"
awk '{ s += log($1); v[NR] = $1 } END {
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "new/old: geometric mean %.3f, median %.3f over %d pairs\n", exp(s / NR), m, NR }' "$work/ratios.txt"
