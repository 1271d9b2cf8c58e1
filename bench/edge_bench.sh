#!/usr/bin/env bash
# Benchmark of the content network (issue 12), two fleek-node processes on loopback (a 2-node
# devnet, release build), each figure next to its reference in the same run:
#   1. 1 GiB moved from node 0 to node 1 by a fetch on a miss (GET /blake3 on node 1: every block
#      verified, written, the object committed) next to node 0 serving the same 1 GiB locally over
#      GET /blake3 (every block verified too), both read by curl into /dev/null. ROUNDS rounds,
#      a new 1 GiB file each.
#   2. Time to first byte of a miss served from a peer (1 MiB objects, first request on node 1)
#      next to a local hit of the same objects on node 0 (curl's time_starttransfer), medians of
#      OBJECTS objects.
# Usage: bench/edge_bench.sh [ROUNDS] [OBJECTS]   (./scripts/bench edge runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
objects=${2:-20}

cmake --preset release >/dev/null
nice -n 10 cmake --build --preset release --target fleek-node >/dev/null
bin=build/release/apps

work=$(mktemp -d /tmp/fleek-edge-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

base=$((21000 + ($$ % 50) * 100))
"$bin/fleek-node" devnet --nodes 2 --dir "$work/devnet" --base-port "$base" >/dev/null
for i in 0 1; do
  home="$work/devnet/node-$i"
  # Room for the files (uploads included), info logs (debug logs cost time).
  sed -i -e 's/^capacity_bytes = .*/capacity_bytes = 8589934592/' -e 's/^upload_quota_bytes = .*/upload_quota_bytes = 8589934592/' \
         -e 's/^upload_capacity_bytes = .*/upload_capacity_bytes = 8589934592/' -e 's/^level = .*/level = "info"/' "$home/config.toml"
  "$bin/fleek-node" run --home "$home" > "$work/node-$i.log" 2>&1 &
  pids+=($!)
done
gateway() { echo $((base + 100 * $1 + 20)); }
rpc() { echo $((base + 100 * $1 + 30)); }
metric() { curl -s "http://127.0.0.1:$(rpc "$1")/metrics" | awk -v name="$2" '$1 == name { print $2 }'; }
labeled() { curl -s "http://127.0.0.1:$(rpc "$1")/metrics" | grep -F "$2" | awk '{ s += $2 } END { print s + 0 }'; }
for _ in $(seq 1 600); do
  [ "$(metric 0 fleek_peers_connected)" = "1" ] && [ "$(metric 1 fleek_peers_connected)" = "1" ] && break
  sleep 0.1
done
[ "$(metric 1 fleek_peers_connected)" = "1" ] || { echo "the nodes did not connect" >&2; tail "$work"/node-*.log >&2; exit 1; }

put() { curl -s -H 'Expect:' -T "$1" "http://127.0.0.1:$(gateway 0)/blake3" | sed -e 's/.*"hash":"\([0-9a-f]*\)".*/\1/'; }
# Waits until node 1 knows at least $1 provider records (node 0's announcements arrived).
await_records() {
  for _ in $(seq 1 300); do
    [ "$(metric 1 fleek_provider_records)" -ge "$1" ] 2>/dev/null && return 0
    sleep 0.1
  done
  echo "node 1 did not learn node 0's records" >&2; exit 1
}
mib_per_s() { awk -v bytes="$1" -v s="$2" 'BEGIN { printf "%.0f", bytes / 1048576 / s }'; }

echo "== 1 GiB: peer transfer (node 0 -> node 1, verified and stored) vs local GET /blake3 on node 0"
size=$((1024 * 1024 * 1024))
records=0
for round in $(seq 1 "$rounds"); do
  head -c "$size" /dev/urandom > "$work/big"
  hash=$(put "$work/big")
  rm -f "$work/big"
  records=$((records + 1))
  await_records "$records"
  local_s=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$(gateway 0)/blake3/$hash")
  stored_before=$(labeled 1 'fleek_fetches_total{outcome="peer"}')
  start=$(date +%s.%N)
  peer_s=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$(gateway 1)/blake3/$hash")
  # Stored: the object committed (its last block verified, fsynced, renamed into place).
  for _ in $(seq 1 600); do
    [ "$(labeled 1 'fleek_fetches_total{outcome="peer"}')" -gt "$stored_before" ] && break
    sleep 0.05
  done
  stored_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  echo "round $round: local GET $(mib_per_s $size "$local_s") MiB/s (${local_s} s); peer transfer streamed $(mib_per_s $size "$peer_s") MiB/s (${peer_s} s), stored after ${stored_s} s: $(mib_per_s $size "$stored_s") MiB/s; ratio $(awk -v l="$local_s" -v p="$stored_s" 'BEGIN { printf "%.2f", l / p }')x"
done

echo "== time to first byte: a miss served from a peer (node 1) vs a local hit (node 0), 1 MiB objects"
hashes=()
for k in $(seq 1 "$objects"); do
  head -c $((1024 * 1024)) /dev/urandom > "$work/obj"
  hashes+=("$(put "$work/obj")")
  records=$((records + 1))
done
await_records "$records"
miss=()
hit=()
for hash in "${hashes[@]}"; do
  curl -s -o /dev/null "http://127.0.0.1:$(gateway 0)/blake3/$hash"  # its blocks in node 0's cache, as a hit's would be
  hit+=("$(curl -s -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$(gateway 0)/blake3/$hash")")
  miss+=("$(curl -s -o /dev/null -w '%{time_starttransfer}' "http://127.0.0.1:$(gateway 1)/blake3/$hash")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
hit_ms=$(awk -v s="$(median "${hit[@]}")" 'BEGIN { printf "%.3f", s * 1000 }')
miss_ms=$(awk -v s="$(median "${miss[@]}")" 'BEGIN { printf "%.3f", s * 1000 }')
echo "TTFB median: local hit ${hit_ms} ms, miss from a peer ${miss_ms} ms: $(awk -v h="$hit_ms" -v m="$miss_ms" 'BEGIN { printf "%.2f", m / h }')x a local hit"
echo "   local hits (s): ${hit[*]}"
echo "   misses (s):     ${miss[*]}"
