#!/usr/bin/env bash
# Benchmark of paid delivery (issue 13): one `fleek-node run` process (a one-node devnet, release
# build) whose funded devnet account approved a client key; each figure next to its reference in
# the same run:
#   1. 1 GiB through a paid TCP session (gateway.tcp_address) by bench/delivery_client: the client
#      signs the open, checks the node's signature, verifies every block (HandshakeClient) and signs
#      a receipt every MiB; the node records each receipt (DeliveryAggregator, fsync) before it
#      counts. Next to it, from the same node, the plain `GET /blake3/<hash>` of the same content:
#      a. `flk get` (verifies every block, as the paid client does) — the verifying reference;
#      b. `curl` to /dev/null (no verification) — the raw transfer.
#      The paid client and flk write the content to tmpfs. REPS alternating repetitions (paid,
#      flk, curl), medians; every run checked (byte count, and the bytes against the file once).
#   2. Sessions opened per second: CLIENTS threads opening and closing TOTAL sessions (connect,
#      challenge, signed open, the node's admission and signed answer verified, close), REPS times,
#      next to the same connections closed right after the challenge (no open, no signature).
#   3. Receipts verified and aggregated per second, one thread: build/release/bench/delivery_bench
#      (the node's receipt path next to libsodium's bare Ed25519 verification).
# Every run appends its figures to bench/results/delivery.tsv (date, commit, load, kernel).
# Diagnostics (environment):
#   DELIVERY_BENCH_NODE_DIR=DIR   where the node's home (blockstore, receipt store) lives (default
#                                 /tmp, on disk); /dev/shm makes the receipt store's fsync free.
#   DELIVERY_BENCH_RECEIPT_INTERVAL_BYTES=N, DELIVERY_BENCH_WINDOW_BYTES=N
#                                 the node's [gateway] receipt_interval_bytes and window_bytes
#                                 (defaults 1 MiB and 4 MiB): fewer receipts, fewer fsyncs per GiB.
#   DELIVERY_BENCH_PROFILE=DIR    `perf record -g` of the node during the first paid fetch and the
#                                 first flk get, written to DIR/{paid,flk}.perf.data.
# Usage: bench/delivery_bench.sh [REPS] [CLIENTS] [TOTAL]   (./scripts/bench delivery runs it)
# The node keeps at most 10,000 sessions (each held 2 token TTLs, 20 min): REPS x TOTAL must stay
# well below that.
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
clients=${2:-8}
total=${3:-1500}
if [ $((reps * total + reps)) -ge 10000 ]; then echo "REPS x TOTAL must stay below 10,000 sessions" >&2; exit 2; fi

cmake --preset release >/dev/null
cmake --build --preset release --target fleek-node flk delivery_bench delivery_client >/dev/null
bin=build/release/apps
client=build/release/bench/delivery_client

work=$(mktemp -d "${DELIVERY_BENCH_NODE_DIR:-/tmp}/fleek-delivery-bench.XXXXXX")  # the node's data and the file
out=$(mktemp -d /dev/shm/fleek-delivery-bench.XXXXXX)    # downloads: tmpfs
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "$out"
}
trap cleanup EXIT

# Below the ephemeral range (32768+) and away from the edge bench's 21000-25930.
base=$((26000 + ($$ % 60) * 100))
gateway=$((base + 20))
handshake=$((base + 21))
rpc=$((base + 30))
"$bin/fleek-node" devnet --nodes 1 --epoch-ms 36000000 --dir "$work/devnet" --base-port "$base" >/dev/null
home="$work/devnet/node-0"
sed -i -e 's/^capacity_bytes = .*/capacity_bytes = 8589934592/' -e 's/^upload_quota_bytes = .*/upload_quota_bytes = 8589934592/' \
       -e 's/^upload_capacity_bytes = .*/upload_capacity_bytes = 8589934592/' -e 's/^level = .*/level = "info"/' "$home/config.toml"
if [ -n "${DELIVERY_BENCH_RECEIPT_INTERVAL_BYTES:-}" ]; then
  sed -i "s/^receipt_interval_bytes = .*/receipt_interval_bytes = $DELIVERY_BENCH_RECEIPT_INTERVAL_BYTES/" "$home/config.toml"
fi
if [ -n "${DELIVERY_BENCH_WINDOW_BYTES:-}" ]; then
  sed -i "s/^window_bytes = .*/window_bytes = $DELIVERY_BENCH_WINDOW_BYTES/" "$home/config.toml"
fi
"$bin/fleek-node" run --home "$home" > "$work/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")
profile=${DELIVERY_BENCH_PROFILE:-}
if [ -n "$profile" ]; then mkdir -p "$profile"; fi
profiling() {  # NAME: starts perf on the node for the first repetition; prints its pid or nothing
  if [ -n "$profile" ] && [ "$rep" = 1 ]; then
    perf record -g -o "$profile/$1.perf.data" -p "$node_pid" >/dev/null 2>&1 &
    echo $!
    sleep 0.5  # perf attached
  fi
}
stop_profiling() {  # PID from profiling: perf writes its file on SIGINT
  if [ -n "$1" ]; then
    kill -INT "$1"
    while kill -0 "$1" 2>/dev/null; do sleep 0.1; done
  fi
}
for _ in $(seq 1 600); do grep -q "rpc:" "$work/node.log" && break; sleep 0.1; done
grep -q "rpc:" "$work/node.log" || { echo "the node did not start" >&2; tail "$work/node.log" >&2; exit 1; }
rpc_call() {  # method [params JSON]
  curl -s -H 'Content-Type: application/json' -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}" "http://127.0.0.1:$rpc/rpc/v0"
}
node_key=$(rpc_call flk_get_public_keys | sed -e 's/.*"public_key":"\([^"]*\)".*/\1/')

# The client key, approved by the devnet account (waits until the transaction executed).
client_key=$("$bin/flk" keys generate --client --out "$work/client.pem" | awk '/public key:/ {print $3}')
"$bin/flk" approve-client-key --key "$work/devnet/accounts/devnet.pem" --rpc "http://127.0.0.1:$rpc" "$client_key" >/dev/null

size=$((1024 * 1024 * 1024))
head -c "$size" /dev/urandom > "$work/big"
hash=$(curl -s -H 'Expect:' -T "$work/big" "http://127.0.0.1:$gateway/blake3" | sed -e 's/.*"hash":"\([0-9a-f]*\)".*/\1/')
[ ${#hash} -eq 64 ] || { echo "PUT failed: $hash" >&2; exit 1; }

results=bench/results/delivery.tsv
mkdir -p "$(dirname "$results")"
[ -s "$results" ] || printf "date_utc\tcommit\tload_1m\tkernel\tcase\tours\treference\tunit\tratio\n" > "$results"
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':(exclude)bench/results' 2>/dev/null || run_commit="$run_commit+dirty"
run_load=$(cut -d' ' -f1 /proc/loadavg)
run_kernel=$(uname -r)
run_note=""
[ -n "${DELIVERY_BENCH_NODE_DIR:-}" ] && run_note+=" [node home in $DELIVERY_BENCH_NODE_DIR]"
[ -n "${DELIVERY_BENCH_PROFILE:-}" ] && run_note+=" [perf on the node in repetition 1]"
[ -n "${DELIVERY_BENCH_RECEIPT_INTERVAL_BYTES:-}" ] && run_note+=" [receipt_interval_bytes $DELIVERY_BENCH_RECEIPT_INTERVAL_BYTES]"
[ -n "${DELIVERY_BENCH_WINDOW_BYTES:-}" ] && run_note+=" [window_bytes $DELIVERY_BENCH_WINDOW_BYTES]"
record() {  # case ours reference unit ratio
  local what=$1
  shift
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$run_date" "$run_commit" "$run_load" "$run_kernel" "$what$run_note" "$@" >> "$results"
}
now() { date +%s.%N; }
mib_s() { awk -v b="$size" -v s="$1" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "== 1 GiB: paid TCP session vs plain GET /blake3 from the same node ($reps alternating repetitions; MiB/s, process wall time)"
paid=(); flk=(); raw=()
for rep in $(seq 1 "$reps"); do
  rm -f "$out"/*
  perf_pid=$(profiling paid)
  start=$(now)
  read -r _ verified signed <<< "$("$client" fetch "$handshake" "$node_key" "$work/client.pem" "$hash" "$out/paid")"
  paid+=("$(mib_s "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')")")
  stop_profiling "$perf_pid"
  [ "$verified" = "$size" ] && [ "$signed" = "$size" ] || { echo "paid fetch: verified $verified, signed $signed bytes" >&2; exit 1; }
  [ "$rep" = 1 ] && { cmp -s "$out/paid" "$work/big" || { echo "the paid fetch produced different bytes" >&2; exit 1; }; }
  rm -f "$out"/*
  perf_pid=$(profiling flk)
  start=$(now)
  "$bin/flk" --node "http://127.0.0.1:$gateway" get "$hash" -o "$out/flk" >/dev/null 2>"$work/flk.err" || { cat "$work/flk.err" >&2; exit 1; }
  flk+=("$(mib_s "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')")")
  stop_profiling "$perf_pid"
  [ "$(stat -c %s "$out/flk")" = "$size" ] || { echo "flk get wrote $(stat -c %s "$out/flk") bytes" >&2; exit 1; }
  rm -f "$out"/*
  read -r curl_s curl_bytes <<< "$(curl -s -o /dev/null -w '%{time_total} %{size_download}' "http://127.0.0.1:$gateway/blake3/$hash")"
  [ "$curl_bytes" = "$size" ] || { echo "curl got $curl_bytes bytes" >&2; exit 1; }
  raw+=("$(mib_s "$curl_s")")
  echo "rep $rep: paid ${paid[-1]}, flk get ${flk[-1]}, curl ${raw[-1]} MiB/s"
done
paid_m=$(median "${paid[@]}"); flk_m=$(median "${flk[@]}"); raw_m=$(median "${raw[@]}")
printf "median: paid session %s MiB/s; flk get (verified) %s MiB/s -> %sx; curl (not verified) %s MiB/s -> %sx   (goal: >= 0.9x)\n" \
  "$paid_m" "$flk_m" "$(ratio "$paid_m" "$flk_m")" "$raw_m" "$(ratio "$paid_m" "$raw_m")"
record "1 GiB paid session vs flk get (verified), median of $reps" "$paid_m" "$flk_m" MiB/s "$(ratio "$paid_m" "$flk_m")"
record "1 GiB paid session vs curl (not verified), median of $reps" "$paid_m" "$raw_m" MiB/s "$(ratio "$paid_m" "$raw_m")"
echo "receipts recorded by the node: $(curl -s "http://127.0.0.1:$rpc/metrics" | awk '$1 == "fleek_delivery_receipts_recorded_total" { print $2 }')"

echo "== sessions opened and closed per second ($clients clients at once, $total sessions per repetition)"
opened=(); connects=()
for rep in $(seq 1 "$reps"); do
  read -r _ _ rate <<< "$("$client" sessions "$handshake" "$node_key" "$work/client.pem" "$clients" "$total")"
  opened+=("$rate")
  read -r _ _ rate <<< "$("$client" connects "$handshake" "$node_key" "$work/client.pem" "$clients" "$total")"
  connects+=("$rate")
  echo "rep $rep: sessions ${opened[-1]}/s, connections closed after the challenge ${connects[-1]}/s"
done
opened_m=$(median "${opened[@]}"); connects_m=$(median "${connects[@]}")
printf "median: %s sessions/s; reference (connect + challenge, no open) %s/s -> %sx\n" "$opened_m" "$connects_m" "$(ratio "$opened_m" "$connects_m")"
record "sessions opened+closed/s ($clients clients), median of $reps" "$opened_m" "$connects_m" "per s" "$(ratio "$opened_m" "$connects_m")"
echo "sessions opened on the node: $(curl -s "http://127.0.0.1:$rpc/metrics" | awk '/^fleek_handshake_sessions_opened_total/ { print $2 }')"

echo "== receipts verified and aggregated per second (one thread)"
build/release/bench/delivery_bench
echo "recorded in $results"
