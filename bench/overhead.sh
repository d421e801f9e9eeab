#!/usr/bin/env bash
# Lumos' own overhead, measured side by side in one run on this machine:
#   1. cold start of `hello` on runc       vs `runc run` of the same bundle           (hyperfine)
#   2. cold start of `hello` on crun       vs `crun run` of the same bundle, and on
#      crun-wasmedge-aot vs `crun run` of its Wasm bundle (crun's WasmEdge handler); bare crun
#      runs through lumos-crun-launch, the private mount namespace crun needs on this host
#   3. cold start of `hello` on wasmedge-aot vs the wasmedge CLI on the same AoT module (hyperfine)
#   4. crun's Wasm AoT / crun's container cold start, by lumos and by the bare runs
#   5. warm round trip of `hello` on wasmedge-aot (lumos' own median)
#   6. the instance level of `hello` (lumos' own medians of mode `instance`): a new WasmEdge
#      instance in a live host (wasmedge-aot), a process forked from a host with libwasmedge,
#      LLVM and the module loaded (wasmedge-aot-zygote), a fork of native's zygote
#   7. warm round trips of `hello` on native and wasmedge-aot as multiples of the floor (a `cat`
#      echo) measured beside them, same-cpu and cross-cpu (lumos' own medians)
# lumos and the bare tools run in alternating rounds, so drifting machine load hits both alike.
# Prints the figures and their ratios; it does not pass or fail (machines are noisy).
# Usage: bench/overhead.sh [RUNS_PER_ROUND] [ROUNDS]   (default 10 x 3; needs `make functions`)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
rounds=${2:-3}
lumos=build/lumos
art=build/artifacts/hello
root=${LUMOS_WASMEDGE_ROOT:-/opt/lumos/wasmedge-0.14.1}
lib=$root/root/usr/lib/x86_64-linux-gnu
crun_root=${LUMOS_CRUN_ROOT:-/opt/lumos/crun-1.21}/root
crun="build/lumos-crun-launch $crun_root/usr/lib64/ld-linux-x86-64.so.2 --library-path $crun_root/usr/lib/x86_64-linux-gnu:$lib:/usr/lib/x86_64-linux-gnu $crun_root/usr/bin/crun --root /run/lumos/crun"
tmp=$(mktemp -d /tmp/lumos-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
command -v hyperfine >/dev/null || { echo "hyperfine missing: run scripts/setup" >&2; exit 1; }
[ -x "$lumos" ] && [ -f "$art/hello.aot.wasm" ] || { echo "run 'make functions' first" >&2; exit 1; }

cat > "$tmp/overhead.yaml" <<YAML
name: overhead
functions: [{name: hello, inputs: [small]}]
runtimes: [native, runc, crun, crun-wasmedge-aot, wasmedge-aot, wasmedge-aot-zygote]
modes: [cold, instance, warm]
repetitions: $runs
warmup: 50
YAML
for placement in same-cpu cross-cpu; do
  cat > "$tmp/floor-$placement.yaml" <<YAML
name: floor-$placement
functions: [{name: hello, inputs: [small]}]
runtimes: [floor, native, wasmedge-aot]
modes: [warm]
repetitions: $((runs * 20))
warmup: 50
placement: $placement
YAML
done
cli="$lib/ld-linux-x86-64.so.2 --library-path $lib:/usr/lib/x86_64-linux-gnu $root/root/usr/bin/wasmedge --reactor $art/hello.aot.wasm lumos_alloc 16"
for r in $(seq 1 "$rounds"); do
  echo "== round $r/$rounds: lumos ($runs cold + $runs warm per runtime), then hyperfine ($runs runs each)"
  "$lumos" run "$tmp/overhead.yaml" --out "$tmp/results-$r" --quiet >"$tmp/lumos-$r.log" 2>&1 &
  pid=$!
  # Keep copies of the OCI bundle configs lumos runs hello's containers with (they are per lumos
  # process and removed when lumos ends; their rootfs path is absolute, so the copies work as is).
  for rt in runc crun crun-wasmedge-aot; do
    mkdir -p "$tmp/bundle-$rt"
    for _ in $(seq 1 6000); do
      if [ -f "/run/lumos/configs/$pid/hello/$rt/config.json" ]; then
        cp "/run/lumos/configs/$pid/hello/$rt/config.json" "$tmp/bundle-$rt/config.json" && break
      fi
      sleep 0.01
    done
  done
  wait $pid || { rc=$?; echo "lumos run failed (exit $rc):" >&2; tail -20 "$tmp/lumos-$r.log" >&2; exit 1; }
  for rt in runc crun crun-wasmedge-aot; do
    [ -f "$tmp/bundle-$rt/config.json" ] || { echo "lumos wrote no $rt bundle config" >&2; exit 1; }
    # lumos hands the protocol to a container as fds 3 and 4 (LUMOS_PROTOCOL_FDS); the bare run
    # has no lumos on the other end, so the function serves stdin (hyperfine's /dev/null) instead
    # and exits at its end: the same container start, one read, the same exit. (The Wasm
    # bundle's WASI command serves stdin anyway.)
    python3 - "$tmp/bundle-$rt/config.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
env = config["process"].get("env", [])
config["process"]["env"] = [e for e in env if not e.startswith("LUMOS_PROTOCOL_FDS=")]
json.dump(config, open(path, "w"))
PY
  done
  runc --root /run/lumos/runc run --bundle "$tmp/bundle-runc" "lumos-bench-check-$$" </dev/null >/dev/null 2>"$tmp/runc.err" \
    || { echo "bare runc run of the copied bundle failed:" >&2; cat "$tmp/runc.err" >&2; exit 1; }
  for rt in crun crun-wasmedge-aot; do
    $crun run --bundle "$tmp/bundle-$rt" "lumos-bench-check-$$" </dev/null >/dev/null 2>"$tmp/crun.err" \
      || { echo "bare crun run of the copied $rt bundle failed:" >&2; cat "$tmp/crun.err" >&2; exit 1; }
  done
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/hf-$r.json" \
    -n runc "runc --root /run/lumos/runc run --bundle $tmp/bundle-runc lumos-bench-$$" \
    -n crun "$crun run --bundle $tmp/bundle-crun lumos-bench-$$" \
    -n crun-wasmedge-aot "$crun run --bundle $tmp/bundle-crun-wasmedge-aot lumos-bench-$$" \
    -n wasmedge-cli "$cli" >/dev/null
  for placement in same-cpu cross-cpu; do
    "$lumos" run "$tmp/floor-$placement.yaml" --out "$tmp/floor-$placement-$r" --quiet >"$tmp/floor-$r.log" 2>&1 \
      || { echo "lumos run of the floor ($placement) failed:" >&2; tail -20 "$tmp/floor-$r.log" >&2; exit 1; }
  done
done

python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
lumos, bare, starts, floors = {}, {}, {}, {}
instance_phases = ("fork", "wasi_setup", "instantiate", "first_call")
for r in range(1, rounds + 1):
    for line in open(f"{tmp}/results-{r}/invocations.jsonl"):
        inv = json.loads(line)
        if inv["ok"]:
            lumos.setdefault((inv["runtime"], inv["mode"]), []).append(inv["e2e_ns"])
            if inv["mode"] == "instance":
                start = sum(inv["phases_ns"].get(p, 0) for p in instance_phases)
                starts.setdefault(inv["runtime"], []).append(start)
    for placement in ("same-cpu", "cross-cpu"):
        for line in open(f"{tmp}/floor-{placement}-{r}/invocations.jsonl"):
            inv = json.loads(line)
            if inv["ok"]:
                floors.setdefault((placement, inv["runtime"]), []).append(inv["e2e_ns"])
    for res in json.load(open(f"{tmp}/hf-{r}.json"))["results"]:
        bare.setdefault(res["command"], []).extend(t * 1e9 for t in res["times"])
med = lambda xs: statistics.median(xs)
cold = lambda rt: med(lumos[(rt, "cold")])
rows = [("cold start hello, runc vs `runc run`", cold("runc"), med(bare["runc"])),
        ("cold start hello, crun vs `crun run`", cold("crun"), med(bare["crun"])),
        ("cold start hello, crun-wasmedge-aot vs `crun run`", cold("crun-wasmedge-aot"), med(bare["crun-wasmedge-aot"])),
        ("cold start hello, wasmedge-aot vs wasmedge CLI", cold("wasmedge-aot"), med(bare["wasmedge-cli"]))]
print(f"\n{'figure (medians over all rounds)':52} {'lumos':>12} {'bare tool':>12} {'ratio':>7}")
for name, a, b in rows:
    print(f"{name:52} {a/1e6:9.2f} ms {b/1e6:9.2f} ms {a/b:7.3f}")
print(f"{'cold start hello, crun-Wasm-AoT / crun container':52} {cold('crun-wasmedge-aot')/cold('crun'):12.3f} "
      f"{med(bare['crun-wasmedge-aot'])/med(bare['crun']):12.3f}")
print(f"{'warm round trip hello, wasmedge-aot':52} {med(lumos[('wasmedge-aot', 'warm')])/1e3:9.1f} us")
print(f"\n{'instance level (medians over all rounds)':52} {'start':>12} {'e2e':>12}")
for rt, what in (("wasmedge-aot", "new instance in a live host"), ("wasmedge-aot-zygote", "process forked from the host"),
                 ("native", "fork of the native zygote")):
    print(f"{'hello, ' + rt + ': ' + what:52} {med(starts[rt])/1e3:9.1f} us {med(lumos[(rt, 'instance')])/1e3:9.1f} us")
print(f"{'hello, wasmedge-aot: process start / instance start':52} "
      f"{cold('wasmedge-aot') / med(lumos[('wasmedge-aot', 'instance')]):10.1f}x  (e2e medians)")
print(f"\n{'warm round trip hello (medians over all rounds)':52} {'same-cpu':>12} {'cross-cpu':>12}")
for rt in ("floor", "native", "wasmedge-aot"):
    same, cross = med(floors[("same-cpu", rt)]), med(floors[("cross-cpu", rt)])
    print(f"{rt:52} {same/1e3:9.1f} us {cross/1e3:9.1f} us")
for rt in ("native", "wasmedge-aot"):
    print(f"{rt + ' / floor beside it':52} "
          f"{med(floors[('same-cpu', rt)]) / med(floors[('same-cpu', 'floor')]):11.2f}x "
          f"{med(floors[('cross-cpu', rt)]) / med(floors[('cross-cpu', 'floor')]):11.2f}x")
print(f"{'cross-cpu penalty of the floor (cross / same)':52} "
      f"{med(floors[('cross-cpu', 'floor')]) / med(floors[('same-cpu', 'floor')]):11.2f}x")
print("\nGoals: runc and crun ratios <= 1.10; wasmedge-aot ratio <= 1.05; warm round trip <= 50 us;")
print("instance start on wasmedge-aot <= 100 us; zygote process start <= 3 ms;")
print("native and wasmedge-aot warm round trips <= 1.5x the same-cpu floor.")
print("start = the instance-start phases (fork, wasi_setup, instantiate, first_call); e2e adds the round trip.")
print("lumos cold start = spawn to first response; hyperfine = the whole process lifetime.")
PY
