#!/usr/bin/env bash
# How scripts/setup-deps treats Node.js (issue 16, item 8), with `--dry-run` on a PATH that holds
# only the few commands it needs, a fake dpkg-query and, per case, fake node/npm. Nothing is
# installed: there is no apt-get or sudo on that PATH.
#   usage: setup_deps_test.sh SOURCE_DIR
set -euo pipefail
source_dir=$(cd "${1:?usage: setup_deps_test.sh SOURCE_DIR}" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# dpkg-query that reports every package installed except those in FAKE_MISSING; `-S` names
# FAKE_NODE_OWNER as the owner of any path (none when empty); the Conflicts/Provides of nodejs
# are FAKE_NODEJS_RELATIONS.
mkdir "$scratch/tools"
cat > "$scratch/tools/dpkg-query" <<'EOF'
#!/bin/sh
case "$1" in
  -W)
    case " $FAKE_MISSING " in *" $3 "*) exit 1 ;; esac
    case "$2" in
      *Status*) printf 'install ok installed' ;;
      *Conflicts*) printf '%s' "$FAKE_NODEJS_RELATIONS" ;;
    esac ;;
  -S)
    [ -n "$FAKE_NODE_OWNER" ] || { echo "dpkg-query: no path found matching pattern $2" >&2; exit 1; }
    echo "$FAKE_NODE_OWNER: $2" ;;
  *) exit 2 ;;
esac
EOF
chmod +x "$scratch/tools/dpkg-query"
for tool in grep cut readlink; do ln -s "$(command -v "$tool")" "$scratch/tools/$tool"; done
mkdir "$scratch/node-only" "$scratch/node-and-npm"
printf '#!/bin/sh\nexit 0\n' > "$scratch/node-only/node"
cp "$scratch/node-only/node" "$scratch/node-and-npm/node"
cp "$scratch/node-only/node" "$scratch/node-and-npm/npm"
chmod +x "$scratch"/node-*/*

failures=0
# check NAME EXPECTED_EXIT EXPECTED_STDOUT(a glob) STDERR_PATTERN EXTRA_PATH [VAR=VALUE...]
# (an empty STDERR_PATTERN wants an empty stderr)
check() {
  local name=$1 want_exit=$2 want_out=$3 err_pattern=$4 extra_path=$5
  shift 5
  local path="$scratch/tools"
  if [ -n "$extra_path" ]; then path="$scratch/$extra_path:$path"; fi
  local exit_code=0
  env -i PATH="$path" FAKE_MISSING= FAKE_NODE_OWNER= FAKE_NODEJS_RELATIONS= "$@" \
    "$BASH" "$source_dir/scripts/setup-deps" --dry-run > "$scratch/out" 2> "$scratch/err" || exit_code=$?
  local out
  out=$(cat "$scratch/out")
  local err_ok=1
  if [ -z "$err_pattern" ]; then [ ! -s "$scratch/err" ] || err_ok=0
  else grep -q -- "$err_pattern" "$scratch/err" || err_ok=0; fi
  if [ "$exit_code" != "$want_exit" ] || [[ "$out" != $want_out ]] || [ "$err_ok" = 0 ]; then
    echo "FAIL $name: exit $exit_code (want $want_exit)"
    echo "  stdout: $out"
    echo "  want:   $want_out"
    echo "  stderr: $(cat "$scratch/err") (want a line matching '$err_pattern', or nothing if empty)"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# A fresh Debian 12: no Node.js at all -> Debian's nodejs and npm.
check "no Node.js: Debian's nodejs and npm" 0 "setup-deps: would install nodejs npm" "" "" \
  FAKE_MISSING="nodejs npm"
# Debian's nodejs without npm (it does not pull npm in) -> Debian's npm only.
check "Debian's nodejs without npm: npm only" 0 "setup-deps: would install npm" "" node-only \
  FAKE_MISSING="npm" FAKE_NODE_OWNER=nodejs FAKE_NODEJS_RELATIONS="nodejs-legacy "
# NodeSource's nodejs (Conflicts: npm) without its npm -> refused, nothing installed.
check "NodeSource's nodejs without npm: refused" 1 "" "has no npm next to it" node-only \
  FAKE_MISSING="npm" FAKE_NODE_OWNER=nodejs FAKE_NODEJS_RELATIONS="nodejs-dev, npm nodejs-dev, npm"
# A node no package owns (a tarball in /usr/local, nvm) without npm -> refused.
check "unpackaged node without npm: refused" 1 "" "has no npm next to it" node-only \
  FAKE_MISSING="nodejs npm"
# Node.js and npm present (whatever installed them) -> neither nodejs nor npm is installed.
check "node and npm present: untouched" 0 "setup-deps: all [0-9]* packages present" "" node-and-npm \
  FAKE_MISSING="nodejs npm"
check "node and npm present, another package missing: only that one" 0 "setup-deps: would install b3sum" "" node-and-npm \
  FAKE_MISSING="nodejs npm b3sum"
# The nodejs package installed but no node on PATH: installing npm could replace that nodejs.
check "nodejs installed, node not on PATH: refused" 1 "" "not on PATH" "" \
  FAKE_MISSING="npm"

if [ "$failures" -ne 0 ]; then
  echo "setup_deps_test: $failures case(s) failed"
  exit 1
fi
echo "setup_deps_test: all cases passed"
