#!/usr/bin/env bash
# Predict, then measure: the performance model against configurations a results folder (an
# experiments/paper.yaml run) never measured - other inputs cold, a runtime an input never ran
# on, the edge-pi profile, closed-loop concurrency.
#   1. fits the model on RESULTS_DIR (lumos model fit) and predicts every configuration below;
#   2. only then measures them (lumos run, one experiment per profile and load);
#   3. prints predicted vs measured p50 (and throughput of load levels) with the error.
# It reports, it does not pass or fail: fit and measure on an otherwise idle machine.
# Usage: bench/model_check.sh RESULTS_DIR [OUT_DIR]   (default OUT_DIR: RESULTS_DIR/model-check)
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:?usage: bench/model_check.sh RESULTS_DIR [OUT_DIR]}
out=${2:-$results/model-check}
lumos=build/lumos
py=/usr/bin/python3
[ -x "$lumos" ] || { echo "build lumos first (make build)" >&2; exit 1; }
[ -f "$results/invocations.jsonl" ] || { echo "$results holds no invocations.jsonl" >&2; exit 1; }
mkdir -p "$out"

# function input runtime mode profile concurrency   (mode closed = a closed-loop level of N clients)
configs="fibonacci medium wasmedge-aot closed edge-pi 8
prime-numbers medium native closed edge-pi 4
nbody n1e5 wasmedge-aot cold cloud 1
prime-numbers n1e6 runc cold cloud 1
fuzzy-search n1e4 native cold cloud 1
image-resize kb512 wasmedge-aot cold cloud 1
encrypt-message kb50 runc cold cloud 1
mandelbrot px512 wasmedge-interp warm cloud 1
audio-generation kb512 wasmedge-aot warm edge-pi 1
hello medium wasmedge-aot cold edge-pi 1"

images=()
[ -f "$results/images.json" ] && images=(--images "$results/images.json")
echo "== fitting the model on $results"
"$lumos" model fit "$results" "${images[@]}" -o "$out/model.json" | sed -n '/held-out MAPE/,/^all/p'

echo "== predicting (before any measurement)"
: > "$out/predictions.jsonl"
while read -r f i r m p n; do
  mode=$m
  [ "$m" = closed ] && mode=warm
  if ! "$lumos" model predict -m "$out/model.json" -f "$f" -i "$i" -r "$r" --mode "$mode" -p "$p" -c "$n" --json \
      > "$out/prediction.json"; then
    echo "   no prediction for $f/$i on $r ($m, $p, $n): see the message above" >&2
    continue
  fi
  $py -c 'import json,sys; j=json.load(open(sys.argv[1])); print(json.dumps({"key": sys.argv[2:], "p50_ns": j["p50_ns"], "throughput_rps": j["throughput_rps"]}))' \
    "$out/prediction.json" "$f" "$i" "$r" "$m" "$p" "$n" >> "$out/predictions.jsonl"
done <<< "$configs"

echo "== measuring"
# Sequential configurations: one experiment per profile. Load levels: one per profile and N.
while read -r group; do
  read -r kind p n <<< "$group"
  name="check-$kind-$p-$n"
  {
    echo "name: $name"
    echo "functions:"
    while read -r f i r m pp nn; do
      [ "$pp" = "$p" ] && [ "$nn" = "$n" ] || continue
      if [ "$kind" = closed ] && [ "$m" = closed ]; then
        echo "  - {name: $f, inputs: [$i], runtimes: [$r], io: [direct]}"
      elif [ "$kind" = seq ] && [ "$m" != closed ]; then
        echo "  - {name: $f, inputs: [$i], runtimes: [$r], modes: [$m], io: [direct]}"
      fi
    done <<< "$configs"
    echo "profile: $p"
    if [ "$kind" = closed ]; then
      echo "load: {kind: closed, concurrency: [$n]}"
    else
      echo "repetitions: 10"
      echo "warmup: 3"
    fi
    echo "timeout_ms: 60000"
  } > "$out/$name.yaml"
  rm -rf "${out:?}/$name"
  "$lumos" run "$out/$name.yaml" --out "$out/$name" --quiet > "$out/$name.log" 2>&1 || true
  echo "   $name: $(tail -1 "$out/$name.log")"
done < <(echo "$configs" | awk '{ if ($4 == "closed") print "closed", $5, $6; else print "seq", $5, 1 }' | sort -u)

$py - "$results" "$out" <<'PY'
import glob, json, statistics, sys
results, out = sys.argv[1], sys.argv[2]
def records(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
paper = records(results + "/invocations.jsonl")
seen = {(r["function"], r["input"], r["runtime"], r["mode"]) for r in paper if not r.get("load")}
measured = [dict(r, _dir=d) for d in sorted(glob.glob(out + "/check-*/invocations.jsonl")) for r in records(d)]
rows, within = [], 0
for line in open(out + "/predictions.jsonl"):
    p = json.loads(line)
    f, i, rt, m, prof, n = p["key"]
    n = int(n)
    sel = [r for r in measured if r["ok"] and (r["function"], r["input"], r["runtime"]) == (f, i, rt)
           and f"check-{'closed' if m == 'closed' else 'seq'}-{prof}-{n if m == 'closed' else 1}/" in r["_dir"]
           and (m == "closed" and r.get("load") == "closed" and r.get("level") == n or m != "closed" and r["mode"] == m)]
    note = "measured in the fit's data!" if m != "closed" and prof == "cloud" and (f, i, rt, m) in seen else ""
    if not sel:
        rows.append((f"{f}/{i}", rt, m if m != "closed" else f"closed {n}", prof, p["p50_ns"], None, None, "", "no measurement"))
        continue
    e2e = [r["e2e_ns"] for r in sel]
    p50 = statistics.median(e2e)
    ape = (p["p50_ns"] - p50) / p50
    within += abs(ape) <= 0.2
    x = ""
    if m == "closed":
        first = min(r["offset_ns"] for r in sel)
        last = max(r["offset_ns"] + r["e2e_ns"] for r in sel)
        xm = len(sel) / ((last - first) / 1e9)
        x = f"{p['throughput_rps']:.0f} vs {xm:.0f} ({(p['throughput_rps'] - xm) / xm:+.0%})"
    rows.append((f"{f}/{i}", rt, m if m != "closed" else f"closed {n}", prof, p["p50_ns"], p50, ape, x, note))
def ms(ns):
    return "-" if ns is None else (f"{ns / 1e6:.3g} ms" if ns >= 1e6 else f"{ns / 1e3:.3g} us")
print(f"\n{'configuration':<26} {'runtime':<16} {'mode':<9} {'profile':<8} {'predicted':>10} {'measured':>10} {'error':>7}  throughput (req/s) predicted vs measured")
for c, rt, m, prof, pr, me, ape, x, note in rows:
    err = "-" if ape is None else f"{ape:+.0%}"
    print(f"{c:<26} {rt:<16} {m:<9} {prof:<8} {ms(pr):>10} {ms(me):>10} {err:>7}  {x} {note}")
print(f"\n{within} of {len(rows)} predicted p50 within 20% of the measured median")
PY
