#!/usr/bin/env bash
# Node macro benchmark: 4 fleek-node processes on this machine (TLS transport, Narwhal +
# Bullshark, ledger execution, block certificates), fed 512-byte transactions through their raw
# transaction ingest (`[consensus] raw_transactions_address`, loopback) by bench/node_load.cpp.
# Printed side by side with, in the same run, the in-process consensus benchmark
# (bench/consensus_bench.cpp: 4 consensus nodes on threads, no TLS, no ledger) at the same offered
# rate, and Narwhal's published local run (46,478 tx/s at 464 ms consensus latency).
# Figures: docs/benchmarks.md, "Node (4 processes)".
#
# Usage: bench/node_bench.sh [--duration S] [--no-reference] [--keep] [RATE ...]
#   RATE          total offered tx/s, split over the 4 nodes (default: 20000 50000)
#   --duration    seconds of load per rate (default 20)
#   --no-reference  skip the consensus_bench runs
#   --keep        keep the devnet directory (logs) instead of deleting it
# Environment: FLEEK_NODE_BENCH_BASE_PORT (default 16000: node i uses base + 100*i + {0 pool,
# 20 gateway, 30 rpc, 40 raw ingest}).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=20
reference=1
keep=0
rates=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --no-reference) reference=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) rates+=("$1"); shift ;;
  esac
done
[ ${#rates[@]} -gt 0 ] || rates=(20000 50000)
nodes=4
base=${FLEEK_NODE_BENCH_BASE_PORT:-16000}

./scripts/setup-deps >/dev/null
cmake --preset release >/dev/null
targets=(fleek-node node_load)
[ "$reference" = 1 ] && targets+=(consensus_bench)
cmake --build --preset release --target "${targets[@]}" >/dev/null
bin=$PWD/build/release

dir=$(mktemp -d /tmp/fleek-node-bench.XXXXXX)
pids=()
sampler=""
cleanup() {
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then echo "devnet and logs kept in $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

rpc_port() { echo $((base + 100 * $1 + 30)); }
raw_port() { echo $((base + 100 * $1 + 40)); }
metric() {  # metric <node> <name>
  curl -sf --max-time 2 "http://127.0.0.1:$(rpc_port "$1")/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
status_kb() {  # status_kb <pid> VmRSS|VmHWM
  awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
cpu_ticks() {  # utime + stime of a process, in clock ticks
  awk '{ print $14 + $15 }' "/proc/$1/stat"
}
mib() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }

# An epoch longer than the whole run: no committee change in the middle of a measurement.
"$bin/apps/fleek-node" devnet --nodes $nodes --dir "$dir" --base-port "$base" --epoch-ms 86400000 --force >/dev/null
for i in $(seq 0 $((nodes - 1))); do
  config="$dir/node-$i/config.toml"
  sed -i -e "s/^raw_transactions_address = .*/raw_transactions_address = \"127.0.0.1:$(raw_port "$i")\"/" \
         -e '/^\[log\]/,/^\[/ s/^level = .*/level = "warn"/' "$config"
  grep -q "^raw_transactions_address = \"127.0.0.1:$(raw_port "$i")\"" "$config" && grep -q '^level = "warn"' "$config" \
    || { echo "could not enable the raw ingest and log level warn in $config" >&2; exit 1; }
done
for i in $(seq 0 $((nodes - 1))); do
  "$bin/apps/fleek-node" run --home "$dir/node-$i" > "$dir/node-$i/node.log" 2>&1 &
  pids+=($!)
done

echo "node_bench: $nodes fleek-node processes in $dir (ports $base + 100*i), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 0 $((nodes - 1))); do
  for attempt in $(seq 240); do
    connected=$(metric "$i" fleek_peers_connected 2>/dev/null || true)
    [ "${connected:-0}" = $((nodes - 1)) ] && break
    if [ "$attempt" = 240 ] || ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "node $i did not connect to its $((nodes - 1)) peers (fleek_peers_connected ${connected:-?}); its log:" >&2
      tail -20 "$dir/node-$i/node.log" >&2
      exit 1
    fi
    sleep 0.5
  done
done
# Log lines from here on are the run's (connection attempts before the mesh formed are not).
log_start=()
for i in $(seq 0 $((nodes - 1))); do log_start+=("$(wc -l < "$dir/node-$i/node.log")"); done
sleep 5
idle_rss=()
for i in $(seq 0 $((nodes - 1))); do idle_rss+=("$(status_kb "${pids[$i]}" VmRSS)"); done
echo "all $nodes nodes up and fully connected; idle RSS (MiB): $(for k in "${idle_rss[@]}"; do printf '%s ' "$(mib "$k")"; done)"

targets_arg=$(for i in $(seq 0 $((nodes - 1))); do printf '127.0.0.1:%s,' "$(raw_port "$i")"; done)
targets_arg=${targets_arg%,}
declare -A result load_rss load_cpu load_avg
for rate in "${rates[@]}"; do
  echo
  echo "=== $rate tx/s offered for $duration s (load average $(cut -d' ' -f1-3 /proc/loadavg)) ==="
  # Sample RSS once a second during the run; keep the maximum per node.
  rss_file="$dir/rss-$rate"
  : > "$rss_file"
  (
    while true; do
      line=""
      for pid in "${pids[@]}"; do line+="$(status_kb "$pid" VmRSS 2>/dev/null || echo 0) "; done
      echo "$line" >> "$rss_file"
      sleep 1
    done
  ) &
  sampler=$!
  cpu_before=()
  for pid in "${pids[@]}"; do cpu_before+=("$(cpu_ticks "$pid")"); done
  started=$(date +%s.%N)
  set +e
  "$bin/bench/node_load" --targets "$targets_arg" --rpc "127.0.0.1:$(rpc_port 0)" --rate "$rate" --duration "$duration" \
    | tee "$dir/load-$rate.txt"
  load_status=${PIPESTATUS[0]}
  set -e
  finished=$(date +%s.%N)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampler=""
  load_avg[$rate]=$(cut -d' ' -f1 /proc/loadavg)
  result[$rate]=$(grep '^RESULT' "$dir/load-$rate.txt" || echo "RESULT failed=1")
  [ "$load_status" = 0 ] || echo "node_load exited with $load_status"
  ticks=$(getconf CLK_TCK)
  rss_line=""
  cpu_line=""
  for i in $(seq 0 $((nodes - 1))); do
    max=$(awk -v c=$((i + 1)) 'BEGIN { m = 0 } $c > m { m = $c } END { print m }' "$rss_file")
    rss_line+="$(mib "$max") "
    cpu_after=$(cpu_ticks "${pids[$i]}")
    cpu_line+="$(awk -v a="$cpu_after" -v b="${cpu_before[$i]}" -v t="$ticks" -v s="$started" -v f="$finished" \
      'BEGIN { printf "%.0f", 100 * (a - b) / t / (f - s) }') "
  done
  load_rss[$rate]=$rss_line
  load_cpu[$rate]=$cpu_line
  for i in $(seq 0 $((nodes - 1))); do
    kill -0 "${pids[$i]}" 2>/dev/null || { echo "node $i died during the run; its log:" >&2; tail -30 "$dir/node-$i/node.log" >&2; exit 1; }
  done
done

hwm=()
for i in $(seq 0 $((nodes - 1))); do hwm+=("$(status_kb "${pids[$i]}" VmHWM)"); done
final_rss=()
for i in $(seq 0 $((nodes - 1))); do final_rss+=("$(status_kb "${pids[$i]}" VmRSS)"); done

# Stop: SIGTERM, every node must exit 0 within 30 s.
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
exit_codes=()
for pid in "${pids[@]}"; do
  code=0
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    code=timeout
  else
    wait "$pid" || code=$?
  fi
  exit_codes+=("$code")
done
pids=()
warnings=()
for i in $(seq 0 $((nodes - 1))); do
  tail -n +$((log_start[i] + 1)) "$dir/node-$i/node.log" | grep -E ' (warning|error|critical) \[' > "$dir/node-$i/run-warnings.log" || true
  warnings+=("$(wc -l < "$dir/node-$i/run-warnings.log")")
done

# Reference: the in-process consensus benchmark at the same rates, after the nodes stopped.
declare -A reference_line
if [ "$reference" = 1 ]; then
  for rate in "${rates[@]}"; do
    echo
    echo "=== consensus_bench --rate $rate --duration $duration (load average $(cut -d' ' -f1-3 /proc/loadavg)) ==="
    "$bin/bench/consensus_bench" --rate "$rate" --duration "$duration" | tee "$dir/consensus-$rate.txt"
    ctps=$(awk -F'|' '/consensus TPS/ { split($2, a, " "); print a[1] }' "$dir/consensus-$rate.txt")
    clat=$(awk -F'|' '/consensus latency/ { split($2, a, " "); print a[1] }' "$dir/consensus-$rate.txt")
    etps=$(awk -F'|' '/end-to-end TPS/ { split($2, a, " "); print a[1] }' "$dir/consensus-$rate.txt")
    elat=$(awk -F'|' '/end-to-end latency/ { split($2, a, " "); print a[1] }' "$dir/consensus-$rate.txt")
    reference_line[$rate]="$ctps $clat $etps $elat"
  done
fi

field() {  # field <RESULT line> <key>
  echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}
echo
echo "node_bench summary: $nodes processes, $(nproc) cores, $duration s per rate, 512 B transactions"
echo "idle RSS per node (MiB):       $(for k in "${idle_rss[@]}"; do printf '%s ' "$(mib "$k")"; done)"
echo "VmHWM per node at the end:     $(for k in "${hwm[@]}"; do printf '%s ' "$(mib "$k")"; done)"
echo "RSS per node at the end:       $(for k in "${final_rss[@]}"; do printf '%s ' "$(mib "$k")"; done)"
echo "exit codes after SIGTERM:      ${exit_codes[*]}"
echo "warn+ log lines after connect: ${warnings[*]}"
for i in $(seq 0 $((nodes - 1))); do
  [ "${warnings[$i]}" = 0 ] || { echo "  node $i, first of them:"; head -3 "$dir/node-$i/run-warnings.log" | cut -c1-240 | sed 's/^/    /'; }
done
echo
printf ' %-9s | %-9s | %-12s | %-10s | %-26s | %-15s | %-15s | %-31s | %s\n' "offered" "input" "executed TPS" "during load" "e2e latency mean/p50/p99" \
  "max RSS (MiB)" "CPU % per node" "consensus_bench (same run)" "Narwhal"
printf ' %-9s | %-9s | %-12s | %-10s | %-26s | %-15s | %-15s | %-31s | %s\n' "" "tx/s" "tx/s" "tx/s" "ms" "per node" "of one core" \
  "cons. TPS @ ms / e2e TPS @ ms" "cons. / e2e"
for rate in "${rates[@]}"; do
  r=${result[$rate]}
  ref="-"
  if [ -n "${reference_line[$rate]:-}" ]; then
    read -r ctps clat etps elat <<< "${reference_line[$rate]}"
    ref="$ctps @ $clat / $etps @ $elat"
  fi
  printf ' %-9s | %-9s | %-12s | %-10s | %-26s | %-15s | %-15s | %-31s | %s\n' "$rate" "$(field "$r" input_tps)" "$(field "$r" executed_tps)" "$(field "$r" during_load_tps)" \
    "$(field "$r" latency_mean_ms) / $(field "$r" latency_p50_ms) / $(field "$r" latency_p99_ms)" "${load_rss[$rate]}" \
    "${load_cpu[$rate]}" "$ref" "46478 @ 464 / 46149 @ 557"
  echo "   samples executed $(field "$r" samples_executed)/$(field "$r" samples), transactions executed $(field "$r" executed)/$(field "$r" written) written, load average after ${load_avg[$rate]}"
done
status=0
for code in "${exit_codes[@]}"; do [ "$code" = 0 ] || status=1; done
[ "$status" = 0 ] || echo "a node did not exit 0 after SIGTERM (logs in $dir with --keep)"
exit $status
