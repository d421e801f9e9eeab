#!/usr/bin/env bash
# Lumos' own overhead, measured side by side in one run on this machine:
#   1. cold start of `hello` on runc       vs `runc run` of the same bundle      (hyperfine)
#   2. cold start of `hello` on wasmedge-aot vs the wasmedge CLI on the same AoT module (hyperfine)
#   3. warm round trip of `hello` on wasmedge-aot (lumos' own median)
# Prints the figures and their ratios; it does not pass or fail (machines are noisy).
# Usage: bench/overhead.sh [RUNS]   (default 30; needs `make functions` first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
lumos=build/lumos
art=build/artifacts/hello
root=${LUMOS_WASMEDGE_ROOT:-/opt/lumos/wasmedge-0.14.1}
lib=$root/root/usr/lib/x86_64-linux-gnu
tmp=$(mktemp -d /tmp/lumos-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v hyperfine >/dev/null || { echo "hyperfine missing: run scripts/setup" >&2; exit 1; }
[ -x "$lumos" ] && [ -f "$art/hello.aot.wasm" ] || { echo "run 'make functions' first" >&2; exit 1; }

cat > "$tmp/overhead.yaml" <<YAML
name: overhead
functions: [{name: hello, inputs: [small]}]
runtimes: [runc, wasmedge-aot]
modes: [cold, warm]
repetitions: $runs
warmup: 50
YAML
echo "== lumos: hello on runc and wasmedge-aot, $runs cold + $runs warm each"
"$lumos" run "$tmp/overhead.yaml" --out "$tmp/results" --quiet >/dev/null
"$lumos" summary "$tmp/results" --csv > "$tmp/summary.csv"
median() {  # runtime mode -> median ns
  awk -F, -v r="$1" -v m="$2" 'NR>1 && $2==r && $3==m {print $7}' "$tmp/summary.csv"
}

echo "== hyperfine: bare tools, $runs runs each"
# The bundle lumos prepared for runc; the wasmedge CLI under the private loader (no shell wrapper).
hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/hf.json" \
  -n runc "runc --root /run/lumos/runc run --bundle $art/runc-bundle lumos-bench-$$" \
  -n wasmedge-cli "$lib/ld-linux-x86-64.so.2 --library-path $lib:/usr/lib/x86_64-linux-gnu $root/root/usr/bin/wasmedge --reactor $art/hello.aot.wasm lumos_alloc 16" \
  >/dev/null
hf_median() {
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([r["median"] for r in d["results"] if r["command"]==sys.argv[2]][0]*1e9)' "$tmp/hf.json" "$1"
}

runc_hf=$(hf_median runc); cli_hf=$(hf_median wasmedge-cli)
runc_lumos=$(median runc cold); aot_lumos=$(median wasmedge-aot cold); aot_warm=$(median wasmedge-aot warm)
awk -v a="$runc_lumos" -v b="$runc_hf" -v c="$aot_lumos" -v d="$cli_hf" -v w="$aot_warm" 'BEGIN {
  printf "\n%-44s %12s %12s %8s\n", "figure (medians)", "lumos", "bare tool", "ratio"
  printf "%-44s %10.2f ms %10.2f ms %8.3f\n", "cold start hello, runc vs `runc run`", a/1e6, b/1e6, a/b
  printf "%-44s %10.2f ms %10.2f ms %8.3f\n", "cold start hello, wasmedge-aot vs wasmedge CLI", c/1e6, d/1e6, c/d
  printf "%-44s %10.1f us\n", "warm round trip hello, wasmedge-aot", w/1e3
  printf "\nGoals: runc ratio <= 1.10; wasmedge-aot ratio <= 1.05; warm round trip <= 50 us.\n"
  printf "lumos cold start = spawn to first response; hyperfine = the whole process lifetime.\n"
}'
