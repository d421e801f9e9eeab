#!/usr/bin/env bash
# Drift during a run, made on purpose: a CPU hog pinned to the CPU the cells run on (same-cpu
# placement: lumos' client and every instance on one CPU) starts once half of a run's invocations
# are recorded. Three runs of the same warm cells (hello and fibonacci, small; floor, native,
# wasmedge-aot):
#   quiet        interleaved, no hog: the baseline medians
#   interleaved  the hog from halfway: every cell has about half its samples under it
#   sequential   `order: sequential`, the hog from halfway: the cells that ran later take it all
# Prints each cell's median per run, its shift (hog run / quiet), how far apart the cells' shifts
# are (highest / lowest), and what lumos' noise check said of each run. It does not pass or fail.
# Usage: bench/drift.sh [REPETITIONS]   (default 1000; needs `make functions`)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-1000}
lumos=build/lumos
tmp=$(mktemp -d /tmp/lumos-drift-XXXXXX)
hog=
cleanup() {
  [ -n "$hog" ] && kill "$hog" 2>/dev/null && wait "$hog" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
[ -x "$lumos" ] && [ -f build/artifacts/hello/hello.aot.wasm ] || { echo "run 'make functions' first" >&2; exit 1; }

experiment() {  # name order
  cat > "$tmp/$1.yaml" <<YAML
name: drift-$1
functions: [{name: hello, inputs: [small]}, {name: fibonacci, inputs: [small]}]
runtimes: [floor, native, wasmedge-aot]
modes: [warm]
repetitions: $reps
warmup: 20
placement: same-cpu
order: $2
YAML
}

# Runs experiment $1 into $tmp/$1; with $2 = hog, starts the hog once half the records are in.
run() {
  local name=$1 with=$2
  "$lumos" run "$tmp/$name.yaml" --out "$tmp/$name" --quiet >"$tmp/$name.log" 2>&1 &
  local pid=$!
  if [ "$with" = hog ]; then
    local total=$((reps * 6)) cpu=""
    while kill -0 "$pid" 2>/dev/null; do
      [ -z "$cpu" ] && [ -f "$tmp/$name/manifest.json" ] &&
        cpu=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["placement"]["instance_cpu"])' \
          "$tmp/$name/manifest.json" 2>/dev/null || true)
      local n=0
      [ -f "$tmp/$name/invocations.jsonl" ] && n=$(wc -l <"$tmp/$name/invocations.jsonl")
      if [ -n "$cpu" ] && [ "$n" -ge $((total / 2)) ]; then
        taskset -c "$cpu" bash -c 'while :; do :; done' &
        hog=$!
        echo "  $name: hog started on CPU $cpu after $n of $total invocations"
        break
      fi
      sleep 0.01
    done
  fi
  local rc=0
  wait "$pid" || rc=$?
  if [ -n "$hog" ]; then
    kill "$hog" 2>/dev/null || true
    wait "$hog" 2>/dev/null || true
    hog=
  fi
  [ "$rc" -eq 0 ] || { echo "lumos run $name failed (exit $rc):" >&2; tail -20 "$tmp/$name.log" >&2; exit 1; }
}

experiment quiet interleaved
experiment interleaved interleaved
experiment sequential sequential
echo "== $reps warm repetitions per cell, 6 cells per run"
run quiet none
run interleaved hog
run sequential hog

python3 - "$tmp" <<'PY'
import json, statistics, sys
tmp = sys.argv[1]
def medians(name):
    cells = {}
    for line in open(f"{tmp}/{name}/invocations.jsonl"):
        r = json.loads(line)
        if r["ok"]:
            cells.setdefault((r["function"], r["runtime"]), []).append(r["e2e_ns"] / 1e3)
    return {k: statistics.median(v) for k, v in cells.items()}
quiet, inter, seq = medians("quiet"), medians("interleaved"), medians("sequential")
print(f"{'cell':28} {'quiet':>9} {'interleaved':>12} {'shift':>6} {'sequential':>11} {'shift':>6}")
shifts = {"interleaved": [], "sequential": []}
for k in sorted(quiet):
    si, ss = inter[k] / quiet[k], seq[k] / quiet[k]
    shifts["interleaved"].append(si)
    shifts["sequential"].append(ss)
    print(f"{k[0] + ' ' + k[1]:28} {quiet[k]:7.1f}us {inter[k]:10.1f}us {si:5.2f}x {seq[k]:9.1f}us {ss:5.2f}x")
for name, s in shifts.items():
    print(f"{name}: cells' shifts {min(s):.2f}x .. {max(s):.2f}x, highest / lowest = {max(s) / min(s):.2f}")
PY
for name in quiet interleaved sequential; do
  echo "-- lumos' noise check of the $name run:"
  "$lumos" summary "$tmp/$name" | sed -n '/^Noise$/,/^$/p' | sed '1d;/^drift: the medians/d;/^$/d'
done
