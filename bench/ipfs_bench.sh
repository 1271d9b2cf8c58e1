#!/usr/bin/env bash
# Macro benchmarks of the IPFS side, each next to a reference measured in the same run:
#   1. packing a 256 MiB file into a CAR: `flk car pack` vs `ipfs-car pack` (npm 3.1.0), both
#      with ipfs-car's defaults (the same root CID, checked);
#   2. CAR import by the node: PUT /ipfs/<cid> of that DAG from a trustless gateway (nginx serving
#      the CAR file, so the gateway is not the bottleneck): every block verified, the CAR kept,
#      the file stored as BLAKE3 content; references: curl downloading the same CAR from nginx (the
#      transfer alone) and `ipfs-car unpack` of the CAR (read, verify, write the file);
#   3. serving /ipfs/<cid>: the 256 MiB file and ?format=car from the node vs the Helia trustless
#      gateway (@helia/verified-fetch) serving the same DAG, with curl (best of 3), and wrk on a
#      256 KiB file (node /ipfs/<cid> vs node /blake3/<hash> vs nginx).
# Usage: bench/ipfs_bench.sh [seconds per wrk run]   (./scripts/bench ipfs runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}

./scripts/setup-deps --bench >/dev/null
tools=$(tests/ipfs/install-tools)
cmake --preset release >/dev/null
cmake --build --preset release --target fleek-node flk >/dev/null
bin=build/release/apps

work=$(mktemp -d /dev/shm/fleek-ipfs-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
chmod 755 "$work"
size_mib=256
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/big.bin"
head -c $((256 * 1024)) /dev/urandom > "$work/obj256k.bin"

seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null 2>&1; end=$(date +%s.%N); awk -v s="$start" -v e="$end" 'BEGIN{print e-s}'; }
best_of_3() { local best=999999 t; for _ in 1 2 3; do t=$(seconds "$@"); best=$(awk -v a="$best" -v b="$t" 'BEGIN{print (b<a)?b:a}'); done; echo "$best"; }
mibs() { awk -v s="$1" -v m="$2" 'BEGIN{printf "%.0f", m/s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2fx", b/a}'; }

# --- 1. CAR packing
# --no-wrap: the root is the file itself, so Helia (which imports the file) holds the same DAG.
flk_pack=$(best_of_3 "$bin/flk" car pack --no-wrap "$work/big.bin" -o "$work/ours.car")
car_pack=$(best_of_3 "$tools/node" "$tools/node_modules/ipfs-car/bin.js" pack "$work/big.bin" --no-wrap --output "$work/theirs.car")
root=$("$bin/flk" car pack --no-wrap "$work/big.bin" -o "$work/ours.car" 2>/dev/null)
theirs=$("$tools/node" "$tools/node_modules/ipfs-car/bin.js" pack "$work/big.bin" --no-wrap --output "$work/theirs.car")
[ "$root" = "$theirs" ] || { echo "different roots: $root vs $theirs" >&2; exit 1; }
printf "\n== Packing %d MiB into a CAR (ipfs-car defaults, root %s) ==\n" "$size_mib" "$root"
printf "%-28s %10s\n" "tool" "MiB/s"
printf "%-28s %10s\n" "flk car pack" "$(mibs "$flk_pack" "$size_mib")"
printf "%-28s %10s\n" "ipfs-car pack 3.1.0" "$(mibs "$car_pack" "$size_mib")"
printf "flk / ipfs-car: %s\n" "$(ratio "$flk_pack" "$car_pack")"

# --- 2. CAR import by the node, from nginx acting as a trustless gateway
nginx_port=18090
mkdir -p "$work/www/ipfs"
cp "$work/ours.car" "$work/www/ipfs/$root"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log stderr warn;
pid $work/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_body_temp_path $work/nginx-body;
  proxy_temp_path $work/nginx-proxy;
  fastcgi_temp_path $work/nginx-fastcgi;
  uwsgi_temp_path $work/nginx-uwsgi;
  scgi_temp_path $work/nginx-scgi;
  types { }
  default_type application/vnd.ipld.car;
  server { listen 127.0.0.1:$nginx_port; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/ipfs/$root" && break; sleep 0.1; done

node_port=18221
start_node() {
  rm -rf "$work/home"
  "$bin/fleek-node" init --dev --home "$work/home" >/dev/null
  sed -i "s|^http_address = .*|http_address = \"127.0.0.1:$node_port\"|; s/^level = .*/level = \"warn\"/; s/^capacity_bytes = .*/capacity_bytes = 8589934592/; s|^ipfs_gateways = .*|ipfs_gateways = [\"http://127.0.0.1:$nginx_port\"]|" "$work/home/config.toml"
  "$bin/fleek-node" run --home "$work/home" > "$work/node.out" 2> "$work/node.err" &
  node_pid=$!
  pids+=($node_pid)
  for _ in $(seq 100); do grep -q "gateway:" "$work/node.out" 2>/dev/null && break; sleep 0.1; done
}
stop_node() { kill "$node_pid"; wait "$node_pid" 2>/dev/null || true; }

import_best=999999
for _ in 1 2 3; do
  start_node
  t=$(seconds curl -sf -X PUT "http://127.0.0.1:$node_port/ipfs/$root")
  import_best=$(awk -v a="$import_best" -v b="$t" 'BEGIN{print (b<a)?b:a}')
  stop_node
done
download=$(best_of_3 curl -s -o "$work/download.car" "http://127.0.0.1:$nginx_port/ipfs/$root")
rm -rf "$work/unpacked"
unpack=$(best_of_3 sh -c "rm -rf '$work/unpacked' && '$tools/node' '$tools/node_modules/ipfs-car/bin.js' unpack '$work/ours.car' --output '$work/unpacked'")
cmp -s "$work/unpacked" "$work/big.bin" || { echo "ipfs-car unpack gave other bytes" >&2; exit 1; }
printf "\n== CAR import: PUT /ipfs/<cid> of %d MiB from a trustless gateway (nginx on loopback) ==\n" "$size_mib"
printf "%-44s %10s\n" "what" "MiB/s"
printf "%-44s %10s\n" "node import (verify, keep CAR, store file)" "$(mibs "$import_best" "$size_mib")"
printf "%-44s %10s\n" "curl download of the same CAR (transfer)" "$(mibs "$download" "$size_mib")"
printf "%-44s %10s\n" "ipfs-car unpack of the same CAR" "$(mibs "$unpack" "$size_mib")"
printf "node / ipfs-car unpack: %s\n" "$(ratio "$import_best" "$unpack")"

# --- 3. Serving /ipfs/<cid>: the node vs the Helia trustless gateway
start_node
curl -sf -X PUT "http://127.0.0.1:$node_port/ipfs/$root" > /dev/null
small=$("$bin/flk" cid --preset ipfs-car --no-wrap "$work/obj256k.bin")
"$bin/flk" car pack --no-wrap "$work/obj256k.bin" -o "$work/www/ipfs/$small" > /dev/null 2>&1
curl -sf -X PUT "http://127.0.0.1:$node_port/ipfs/$small" > /dev/null
small_hash=$(b3sum --no-names "$work/obj256k.bin")

cat > "$work/spec.json" <<SPEC
{"entries": [{"name": "big", "path": "$work/big.bin", "profile": "v1", "chunkSize": 1048576, "maxChildren": 1024}]}
SPEC
"$tools/node" "$tools/helia-gateway.mjs" "$work/spec.json" > "$work/helia.out" 2> "$work/helia.err" &
pids+=($!)
for _ in $(seq 600); do grep -q roots "$work/helia.out" 2>/dev/null && break; sleep 0.2; done
helia=$(python3 -c "import json,sys; print(json.load(open('$work/helia.out'))['url'])")
helia_root=$(python3 -c "import json,sys; print(json.load(open('$work/helia.out'))['roots']['big'])")
[ "$helia_root" = "$root" ] || { echo "Helia imported another DAG: $helia_root" >&2; exit 1; }

node_file=$(best_of_3 curl -s -o /dev/null "http://127.0.0.1:$node_port/ipfs/$root")
helia_file=$(best_of_3 curl -s -o /dev/null "$helia/ipfs/$root")
node_car=$(best_of_3 curl -s -o /dev/null "http://127.0.0.1:$node_port/ipfs/$root?format=car")
helia_car=$(best_of_3 curl -s -o /dev/null "$helia/ipfs/$root?format=car")
curl -s "http://127.0.0.1:$node_port/ipfs/$root" | cmp -s - "$work/big.bin" || { echo "the node served different bytes" >&2; exit 1; }
printf "\n== Serving /ipfs/<cid> of %d MiB (curl, best of 3, loopback) ==\n" "$size_mib"
printf "%-22s %14s %14s %10s\n" "response" "node MiB/s" "Helia MiB/s" "ratio"
printf "%-22s %14s %14s %10s\n" "file (deserialized)" "$(mibs "$node_file" "$size_mib")" "$(mibs "$helia_file" "$size_mib")" "$(ratio "$node_file" "$helia_file")"
printf "%-22s %14s %14s %10s\n" "?format=car" "$(mibs "$node_car" "$size_mib")" "$(mibs "$helia_car" "$size_mib")" "$(ratio "$node_car" "$helia_car")"

run_wrk() {
  local out
  wrk -t2 -c32 -d"${duration}s" "$1" > /dev/null 2>&1
  out=$(wrk -t2 -c32 -d"${duration}s" "$1")
  echo "$out" | awk '/Requests\/sec:/ {print $2}'
}
cp "$work/obj256k.bin" "$work/www/obj256k.bin"
printf "\n== 256 KiB object, wrk -t2 -c32 -d%ss (requests/s) ==\n" "$duration"
printf "%-34s %12s\n" "request" "req/s"
printf "%-34s %12s\n" "node GET /ipfs/<cid>" "$(run_wrk "http://127.0.0.1:$node_port/ipfs/$small")"
printf "%-34s %12s\n" "node GET /blake3/<hash>" "$(run_wrk "http://127.0.0.1:$node_port/blake3/$small_hash")"
printf "%-34s %12s\n" "node GET /ipfs/<cid>?format=raw" "$(run_wrk "http://127.0.0.1:$node_port/ipfs/$small?format=raw")"
printf "%-34s %12s\n" "nginx static file" "$(run_wrk "http://127.0.0.1:$nginx_port/obj256k.bin")"
