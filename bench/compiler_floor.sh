#!/usr/bin/env bash
# The compiler floor: runs experiments/compiler-floor.yaml (warm, native = clang-19,
# native-gcc, wasmedge-aot) and prints per function input the median compute phase
# (phases_ns.compute) on each runtime, AoT / native (the runtime's own cost over the
# same-compiler floor) and gcc / clang (the compiler's effect alone).
# Every invocation's output is checked against its expected file by lumos run; a failed one
# makes this script fail.
# Usage: bench/compiler_floor.sh [OUT_DIR]   (default results/compiler-floor)
# Env:   REPS (default 30), WARMUP (default 5): repetitions and warm-up requests per cell.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/compiler-floor}
lumos=${LUMOS:-build/lumos}
reps=${REPS:-30}
warmup=${WARMUP:-5}
[ -x "$lumos" ] || { echo "build lumos first (make functions)" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
sed "s/^warmup: .*/warmup: $warmup/" experiments/compiler-floor.yaml > "$out/compiler-floor.yaml"
"$lumos" run "$out/compiler-floor.yaml" --out "$out/run" --reps "$reps" --quiet > "$out/run.log" \
  || { cat "$out/run.log"; echo "lumos run failed (log above)" >&2; exit 1; }

/usr/bin/python3 - "$out/run" <<'PY'
import json, statistics, sys
run = sys.argv[1]
cells, failed = {}, 0
for line in open(f"{run}/invocations.jsonl"):
    r = json.loads(line)
    if not r.get("ok"):
        failed += 1
        print(f"FAILED {r.get('function')}/{r.get('input')} on {r.get('runtime')}: {r.get('error')}", file=sys.stderr)
        continue
    compute = r.get("phases_ns", {}).get("compute")
    if compute is not None:
        cells.setdefault((r["function"], r["input"]), {}).setdefault(r["runtime"], []).append(compute)
manifest = json.load(open(f"{run}/manifest.json"))
arts = manifest.get("artifacts", {})
def compiler(fn, kind):
    a = arts.get(fn, {}).get(kind, {})
    return a.get("version") or a.get("compiler") or "?"
fns = sorted({f for f, _ in cells})
print("compilers:")
for f in fns:
    print(f"  {f}: native {compiler(f, 'native')} | native-gcc {compiler(f, 'native-gcc')} | "
          f"wasm {compiler(f, 'wasm')} | aot {compiler(f, 'wasm-aot')}")
print(f"{'function/input':24} {'n':>4} {'native us':>11} {'native-gcc us':>14} {'aot us':>11} {'aot/native':>11} {'gcc/clang':>10}")
missing = False
for (f, i), by in sorted(cells.items()):
    med = {rt: statistics.median(v) / 1e3 for rt, v in by.items()}
    n = min(len(v) for v in by.values())
    nat, gcc, aot = med.get("native"), med.get("native-gcc"), med.get("wasmedge-aot")
    if None in (nat, gcc, aot):
        missing = True
    fmt = lambda x: f"{x:.1f}" if x is not None else "-"
    ratio = lambda a, b: f"{a / b:.2f}x" if a is not None and b else "-"
    print(f"{f + '/' + i:24} {n:>4} {fmt(nat):>11} {fmt(gcc):>14} {fmt(aot):>11} {ratio(aot, nat):>11} {ratio(gcc, nat):>10}")
if failed or missing or not cells:
    print(f"{failed} failed invocations; cells missing a runtime: {missing}", file=sys.stderr)
    sys.exit(1)
PY
