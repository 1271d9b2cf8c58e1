#!/usr/bin/env bash
# Macro benchmark of the content gateway, side by side with references in the same run:
#   1. fleek-node's gateway vs nginx serving the same files from the same disk on loopback, with
#      wrk (64 connections, 2 threads, 10 s) for 256 KiB and 4 MiB objects: requests/s and MB/s.
#      a. cached: one object asked for again and again (the node sends it from its verified
#         block cache, nginx from the page cache);
#      b. past the block cache: a working set of 512 MiB per size (2048 x 256 KiB, 128 x 4 MiB)
#         asked for in turn, twice the node's 256 MiB block cache, so every block the node sends
#         is read from the page cache and hashed before it goes out;
#      c. from disk: the same working sets, one pass (every object once, curl with 64 transfers
#         at a time), the page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before
#         each server's pass. Needs root; skipped otherwise.
#   2. `flk get` of a 1 GiB file (every block verified) vs `curl` downloading the raw bytes
#      from the same node (no verification), both writing to tmpfs.
# Both servers run 2 worker threads on this 2-core machine, sharing it with wrk.
# Every run appends its figures to bench/results/gateway.tsv (date, commit, load, kernel), so
# runs can be compared; the table printed at the end is the same run's.
# Usage: bench/gateway_bench.sh [seconds per wrk run]   (./scripts/bench gateway runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}

./scripts/setup-deps --bench >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target fleek-node flk >/dev/null
bin=build/release/apps

work=$(mktemp -d /dev/shm/fleek-gateway-bench.XXXXXX)
disk=$(mktemp -d /tmp/fleek-gateway-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work" "$disk"
}
trap cleanup EXIT

nginx_port=18080
node_port=18220
mkdir -p "$disk/files"
chmod 755 "$disk" "$disk/files"  # nginx workers run as www-data
head -c $((256 * 1024)) /dev/urandom > "$disk/files/obj256k"
head -c $((4 * 1024 * 1024)) /dev/urandom > "$disk/files/obj4m"
head -c $((1024 * 1024 * 1024)) /dev/urandom > "$disk/files/big1g"
# Working sets of 512 MiB each for the runs past the block cache and from disk.
disk_objects_256k=2048
disk_objects_4m=128
mkdir -p "$disk/files/d256k" "$disk/files/d4m"
chmod 755 "$disk/files/d256k" "$disk/files/d4m"
for i in $(seq -w 1 $disk_objects_256k); do head -c $((256 * 1024)) /dev/urandom > "$disk/files/d256k/$i"; done
for i in $(seq -w 1 $disk_objects_4m); do head -c $((4 * 1024 * 1024)) /dev/urandom > "$disk/files/d4m/$i"; done

# --- nginx, tuned as for a static CDN origin: sendfile, keep-alive, no access log.
cat > "$disk/nginx.conf" <<CONF
worker_processes 2;
daemon off;
error_log stderr warn;
pid $disk/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $disk/nginx-body;
  proxy_temp_path $disk/nginx-proxy;
  fastcgi_temp_path $disk/nginx-fastcgi;
  uwsgi_temp_path $disk/nginx-uwsgi;
  scgi_temp_path $disk/nginx-scgi;
  server { listen 127.0.0.1:$nginx_port; root $disk/files; }
}
CONF
nginx -c "$disk/nginx.conf" -p "$disk" &
pids+=($!)

# --- fleek-node with the same files, its blockstore on the same disk.
"$bin/fleek-node" init --dev --home "$disk/home" >/dev/null
sed -i "s/^http_address = .*/http_address = \"127.0.0.1:$node_port\"/; s/^level = .*/level = \"warn\"/; s/^capacity_bytes = .*/capacity_bytes = 8589934592/; s/^block_cache_bytes = .*/block_cache_bytes = 268435456/; s/^upload_quota_bytes = .*/upload_quota_bytes = 4294967296/; s/^upload_capacity_bytes = .*/upload_capacity_bytes = 4294967296/" "$disk/home/config.toml"
"$bin/fleek-node" run --home "$disk/home" > "$disk/node.out" &
pids+=($!)
for _ in $(seq 100); do grep -q "gateway:" "$disk/node.out" 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/obj256k" && break; sleep 0.1; done

node="http://127.0.0.1:$node_port"
nginx="http://127.0.0.1:$nginx_port"
declare -A hash
for f in obj256k obj4m big1g; do
  hash[$f]=$("$bin/flk" --node "$node" put "$disk/files/$f" | cut -d' ' -f1)
done
# The working sets: the paths each server is asked for, in the same order.
for set in d256k d4m; do
  : > "$work/$set.node"
  : > "$work/$set.nginx"
  for file in "$disk/files/$set"/*; do
    echo "/blake3/$("$bin/flk" --node "$node" put "$file" | cut -d' ' -f1)" >> "$work/$set.node"
    echo "/$set/$(basename "$file")" >> "$work/$set.nginx"
  done
done

results=bench/results/gateway.tsv
mkdir -p "$(dirname "$results")"
[ -s "$results" ] || printf "date_utc\tcommit\tload_1m\tkernel\tcase\tobject\tfleek_req_s\treference_req_s\tfleek_mib_s\treference_mib_s\tratio\n" > "$results"
run_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run_commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- . ':(exclude)bench/results' 2>/dev/null || run_commit="$run_commit+dirty"  # source changes, not this log
run_load=$(cut -d' ' -f1 /proc/loadavg)
run_kernel=$(uname -r)
record() {  # case object ours_rps ref_rps ours_mib ref_mib ratio
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$run_date" "$run_commit" "$run_load" "$run_kernel" "$@" >> "$results"
}

# wrk prints "Requests/sec: N" and "Transfer/sec: N(KB|MB|GB)"; any non-2xx answer fails the run.
wrk_figures() {
  local out=$1
  if echo "$out" | grep -q "Non-2xx"; then echo "wrk saw error answers:" >&2; echo "$out" >&2; exit 1; fi
  local rps mbps
  rps=$(echo "$out" | awk '/Requests\/sec:/ {print $2}')
  mbps=$(echo "$out" | awk '/Transfer\/sec:/ {v=$2; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
          if (u=="GB") n*=1024; else if (u=="KB") n/=1024; printf "%.1f", n}')
  echo "$rps $mbps"
}
run_wrk() {
  local url=$1
  wrk -t2 -c64 -d"${duration}s" "$url" > /dev/null 2>&1  # warm-up, also fills caches
  wrk_figures "$(wrk -t2 -c64 -d"${duration}s" "$url")"
}
# run_set BASE PATHS: wrk over a working set, each thread asking for its share in turn
# (bench/gateway_paths.lua).
run_set() {
  local base=$1 paths=$2
  FLEEK_BENCH_PATHS=$paths FLEEK_BENCH_THREADS=2 wrk -t2 -c64 -d"${duration}s" -s bench/gateway_paths.lua "$base" > /dev/null 2>&1
  wrk_figures "$(FLEEK_BENCH_PATHS=$paths FLEEK_BENCH_THREADS=2 wrk -t2 -c64 -d"${duration}s" -s bench/gateway_paths.lua "$base")"
}
# cold_pass BASE PATHS OBJECT_BYTES: the page cache dropped, then every path once with one curl
# doing 64 transfers at a time (wrk cannot stop after one pass: it always runs its duration).
# Every answer must be 200 with the whole object. Prints "requests/s MiB/s".
cold_pass() {
  local base=$1 paths=$2 object_bytes=$3 config="$work/cold.curl" count start end sizes
  awk -v b="$base" '{print "url = \"" b $0 "\""; print "output = \"/dev/null\""}' "$paths" > "$config"
  count=$(wc -l < "$paths")
  sync
  echo 3 > /proc/sys/vm/drop_caches
  start=$(date +%s.%N)
  sizes=$(curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max 64 -w '%{http_code} %{size_download}\n' -K "$config")
  end=$(date +%s.%N)
  if [ "$(echo "$sizes" | awk -v n="$object_bytes" '$1 == 200 && $2 == n' | wc -l)" != "$count" ]; then
    echo "cold pass on $base: not every answer was 200 with $object_bytes bytes" >&2
    exit 1
  fi
  awk -v c="$count" -v b="$object_bytes" -v s="$start" -v e="$end" \
    'BEGIN{printf "%.1f %.1f\n", c/(e-s), c*b/1048576/(e-s)}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", a/b}'; }

printf "\n== Gateway vs nginx (wrk -t2 -c64, loopback, same disk; %ss per timed run) ==\n" "$duration"
printf "%-34s %-8s %12s %12s %12s %12s %9s %9s\n" case object "fleek req/s" "nginx req/s" "fleek MiB/s" "nginx MiB/s" "req ratio" "MB ratio"
row() {  # case object ours_rps ours_mb ref_rps ref_mb
  local r
  if [ -z "$3" ] || [ -z "$4" ] || [ -z "$5" ] || [ -z "$6" ]; then echo "no figures for $1 $2" >&2; exit 1; fi
  r=$(ratio "$3" "$5")
  printf "%-34s %-8s %12s %12s %12s %12s %9s %9s\n" "$1" "$2" "$3" "$5" "$4" "$6" "$r" "$(ratio "$4" "$6")"
  record "$1" "$2" "$3" "$5" "$4" "$6" "$r"
}
for f in obj256k obj4m; do
  read -r ours_rps ours_mb <<< "$(run_wrk "$node/blake3/${hash[$f]}")"
  read -r ref_rps ref_mb <<< "$(run_wrk "$nginx/$f")"
  row "cached (one object)" "${f#obj}" "$ours_rps" "$ours_mb" "$ref_rps" "$ref_mb"
done
for set in d256k d4m; do
  read -r ours_rps ours_mb <<< "$(run_set "$node" "$work/$set.node")"
  read -r ref_rps ref_mb <<< "$(run_set "$nginx" "$work/$set.nginx")"
  row "past the block cache (512 MiB set)" "${set#d}" "$ours_rps" "$ours_mb" "$ref_rps" "$ref_mb"
done
if [ "$(id -u)" -eq 0 ]; then
  for set in d256k d4m; do
    bytes=$((256 * 1024))
    [ "$set" = d4m ] && bytes=$((4 * 1024 * 1024))
    read -r ours_rps ours_mb <<< "$(cold_pass "$node" "$work/$set.node" "$bytes")"
    read -r ref_rps ref_mb <<< "$(cold_pass "$nginx" "$work/$set.nginx" "$bytes")"
    row "from disk (cache dropped, 1 pass)" "${set#d}" "$ours_rps" "$ours_mb" "$ref_rps" "$ref_mb"
  done
else
  echo "from disk: skipped (dropping the page cache needs root)"
fi

# --- flk get (verified) vs curl (raw) of 1 GiB, best of 3, output on tmpfs.
best() {
  local best_s=999999 start end
  for _ in 1 2 3; do
    rm -f "$work/out" "$work/out.part"
    start=$(date +%s.%N)
    "$@" > /dev/null 2>&1
    end=$(date +%s.%N)
    best_s=$(awk -v a="$best_s" -v s="$start" -v e="$end" 'BEGIN{b=e-s; print (b<a)?b:a}')
  done
  echo "$best_s"
}
flk_s=$(best "$bin/flk" --node "$node" get "${hash[big1g]}" -o "$work/out")
cmp -s "$work/out" "$disk/files/big1g" || { echo "flk get produced different bytes" >&2; exit 1; }
curl_s=$(best curl -s -o "$work/out" "$node/blake3/${hash[big1g]}")
printf "\n== flk get of 1 GiB with verification vs curl of the raw bytes (same node, loopback, tmpfs) ==\n"
printf "%-24s %12s\n" "client" "MiB/s"
printf "%-24s %12s\n" "flk get (verified)" "$(awk -v s="$flk_s" 'BEGIN{printf "%.0f", 1024/s}')"
printf "%-24s %12s\n" "curl (no verification)" "$(awk -v s="$curl_s" 'BEGIN{printf "%.0f", 1024/s}')"
flk_mib=$(awk -v s="$flk_s" 'BEGIN{printf "%.0f", 1024/s}')
curl_mib=$(awk -v s="$curl_s" 'BEGIN{printf "%.0f", 1024/s}')
printf "flk/curl ratio: %s   (goal: flk >= 1024 MiB/s)\n" "$(ratio "$flk_mib" "$curl_mib")"
record "flk get vs curl (1 GiB, best of 3)" 1g - - "$flk_mib" "$curl_mib" "$(ratio "$flk_mib" "$curl_mib")"
echo "recorded in $results"
