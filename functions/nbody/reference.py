#!/usr/bin/env python3
"""Reference for nbody: writes expected/<name>.json for every inputs/<name>.json.

The same physics as nbody.cpp with the same floating-point operations in the same order
(Python floats are IEEE doubles and math.sqrt is exactly rounded), so the energies agree to
the last bit. The 1000-step result matches the Benchmarks Game's published output
(-0.169075164, -0.169087605). Pure Python: the 1e7-step input takes a few minutes.
Run: python3 reference.py [name ...]
"""
import json
import math
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent

PI = 3.141592653589793
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24
DT = 0.01

# (position AU, velocity AU/day, mass in solar masses) of Jupiter, Saturn, Uranus, Neptune
PLANETS = [
    ((4.84143144246472090e00, -1.16032004402742839e00, -1.03622044471123109e-01),
     (1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05),
     9.54791938424326609e-04),
    ((8.34336671824457987e00, 4.12479856412430479e00, -4.03523417114321381e-01),
     (-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05),
     2.85885980666130812e-04),
    ((1.28943695621391310e01, -1.51111514016986312e01, -2.23307578892655734e-01),
     (2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05),
     4.36624404335156298e-05),
    ((1.53796971148509165e01, -2.59193146099879641e01, 1.79258772950371181e-01),
     (2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05),
     5.15138902046611451e-05),
]


def initial_system():
    pos = [[0.0, 0.0, 0.0]]
    vel = [[0.0, 0.0, 0.0]]
    mass = [SOLAR_MASS]
    for p, v, m in PLANETS:
        pos.append(list(p))
        vel.append([c * DAYS_PER_YEAR for c in v])
        mass.append(m * SOLAR_MASS)
    momentum = [0.0, 0.0, 0.0]
    for i in range(5):
        for k in range(3):
            momentum[k] += vel[i][k] * mass[i]
    vel[0] = [-momentum[k] / SOLAR_MASS for k in range(3)]
    return pos, vel, mass


def energy(pos, vel, mass):
    e = 0.0
    for i in range(5):
        v = vel[i]
        e += 0.5 * mass[i] * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
        for j in range(i + 1, 5):
            dx = pos[i][0] - pos[j][0]
            dy = pos[i][1] - pos[j][1]
            dz = pos[i][2] - pos[j][2]
            e -= (mass[i] * mass[j]) / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def simulate(steps):
    pos, vel, mass = initial_system()
    before = energy(pos, vel, mass)
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    sqrt = math.sqrt
    for _ in range(steps):
        for i, j in pairs:
            pa, pc, va, vc = pos[i], pos[j], vel[i], vel[j]
            dx = pa[0] - pc[0]
            dy = pa[1] - pc[1]
            dz = pa[2] - pc[2]
            dist2 = dx * dx + dy * dy + dz * dz
            scale = DT / (dist2 * sqrt(dist2))
            ka = mass[j] * scale
            kc = mass[i] * scale
            va[0] -= dx * ka
            va[1] -= dy * ka
            va[2] -= dz * ka
            vc[0] += dx * kc
            vc[1] += dy * kc
            vc[2] += dz * kc
        for p, v in zip(pos, vel):
            p[0] += DT * v[0]
            p[1] += DT * v[1]
            p[2] += DT * v[2]
    return before, energy(pos, vel, mass)


def fixed9(v):
    """Round half away from zero to 9 decimals exactly as nbody.cpp does."""
    units = int(math.floor(abs(v * 1e9) + 0.5))
    text = "%d.%09d" % (units // 10**9, units % 10**9)
    out = ("-" if v < 0 and units != 0 else "") + text
    assert out == "%.9f" % v, (out, "%.9f" % v)  # agrees with correctly rounded printing
    return out


def main():
    names = sys.argv[1:] or sorted(p.stem for p in (HERE / "inputs").glob("*.json"))
    for name in names:
        steps = json.loads((HERE / "inputs" / (name + ".json")).read_text())["steps"]
        before, after = simulate(steps)
        out = json.dumps({"steps": steps, "energy_before": fixed9(before), "energy_after": fixed9(after)},
                         separators=(",", ":"), sort_keys=True)
        (HERE / "expected" / (name + ".json")).write_text(out + "\n")
        print(name, repr(before), repr(after), out, flush=True)


if __name__ == "__main__":
    main()
