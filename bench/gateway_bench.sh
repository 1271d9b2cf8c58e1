#!/usr/bin/env bash
# Macro benchmark of the content gateway, side by side with references in the same run:
#   1. fleek-node's gateway vs nginx serving the same files from the same disk on loopback, with
#      wrk (64 connections, 2 threads, 10 s) for 256 KiB and 4 MiB objects: requests/s and MB/s.
#   2. `flk get` of a 1 GiB file (every block verified) vs `curl` downloading the raw bytes
#      from the same node (no verification), both writing to tmpfs.
# Both servers run 2 worker threads on this 2-core machine, sharing it with wrk.
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
sed -i "s/^http_address = .*/http_address = \"127.0.0.1:$node_port\"/; s/^level = .*/level = \"warn\"/; s/^capacity_bytes = .*/capacity_bytes = 8589934592/; s/^block_cache_bytes = .*/block_cache_bytes = 268435456/" "$disk/home/config.toml"
"$bin/fleek-node" run --home "$disk/home" > "$disk/node.out" &
pids+=($!)
for _ in $(seq 100); do grep -q "gateway:" "$disk/node.out" 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/obj256k" && break; sleep 0.1; done

node="http://127.0.0.1:$node_port"
declare -A hash
for f in obj256k obj4m big1g; do
  hash[$f]=$("$bin/flk" --node "$node" put "$disk/files/$f" | cut -d' ' -f1)
done

# wrk prints "Requests/sec: N" and "Transfer/sec: N(KB|MB|GB)".
run_wrk() {
  local url=$1 out
  wrk -t2 -c64 -d"${duration}s" "$url" > /dev/null 2>&1  # warm-up, also fills caches
  out=$(wrk -t2 -c64 -d"${duration}s" "$url")
  local rps mbps
  rps=$(echo "$out" | awk '/Requests\/sec:/ {print $2}')
  mbps=$(echo "$out" | awk '/Transfer\/sec:/ {v=$2; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
          if (u=="GB") n*=1024; else if (u=="KB") n/=1024; printf "%.1f", n}')
  echo "$rps $mbps"
}

printf "\n== Gateway vs nginx (wrk -t2 -c64 -d%ss, loopback, same disk) ==\n" "$duration"
printf "%-10s %16s %16s %16s %16s %10s %10s\n" object "fleek req/s" "nginx req/s" "fleek MiB/s" "nginx MiB/s" "req ratio" "MB ratio"
for f in obj256k obj4m; do
  read -r ours_rps ours_mb <<< "$(run_wrk "$node/blake3/${hash[$f]}")"
  read -r ref_rps ref_mb <<< "$(run_wrk "http://127.0.0.1:$nginx_port/$f")"
  printf "%-10s %16s %16s %16s %16s %10s %10s\n" "$f" "$ours_rps" "$ref_rps" "$ours_mb" "$ref_mb" \
    "$(awk -v a="$ours_rps" -v b="$ref_rps" 'BEGIN{printf "%.2fx", a/b}')" \
    "$(awk -v a="$ours_mb" -v b="$ref_mb" 'BEGIN{printf "%.2fx", a/b}')"
done

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
printf "flk/curl ratio: %s   (goal: flk >= 1024 MiB/s)\n" "$(awk -v a="$flk_s" -v b="$curl_s" 'BEGIN{printf "%.2fx", b/a}')"
