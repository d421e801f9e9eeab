#!/usr/bin/env python3
"""Reference for mandelbrot: writes expected/<name>.json for every inputs/<name>.json.

Renders the same P4 PBM in pure Python (same IEEE double operations as mandelbrot.cpp) and
digests it with hashlib, so the expected SHA-256 and base64 do not come from the C++ code.
Pure Python: size 2048 takes a few minutes. Run: python3 reference.py [name ...]
"""
import base64
import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
ITERATIONS = 50
LIMIT2 = 2.0 * 2.0
MAX_INLINE = 128


def render(size):
    n = float(size)
    rows = []
    count = 0
    for y in range(size):
        ci = 2.0 * y / n - 1.0
        row = bytearray((size + 7) // 8)
        for x in range(size):
            cr = 2.0 * x / n - 1.5
            zr = zi = tr = ti = 0.0
            i = 0
            while i < ITERATIONS and tr + ti <= LIMIT2:
                zi = 2.0 * zr * zi + ci
                zr = tr - ti + cr
                tr = zr * zr
                ti = zi * zi
                i += 1
            if tr + ti <= LIMIT2:
                row[x >> 3] |= 0x80 >> (x & 7)
                count += 1
        rows.append(bytes(row))
    return b"P4\n%d %d\n" % (size, size) + b"".join(rows), count


def main():
    names = sys.argv[1:] or sorted(p.stem for p in (HERE / "inputs").glob("*.json"))
    for name in names:
        size = json.loads((HERE / "inputs" / (name + ".json")).read_text())["size"]
        pbm, count = render(size)
        out = {"width": size, "height": size, "in_set": count, "pbm_sha256": hashlib.sha256(pbm).hexdigest()}
        if size <= MAX_INLINE:
            out["pbm_base64"] = base64.b64encode(pbm).decode()
        text = json.dumps(out, separators=(",", ":"), sort_keys=True)
        (HERE / "expected" / (name + ".json")).write_text(text + "\n")
        print(name, count, out["pbm_sha256"], flush=True)


if __name__ == "__main__":
    main()
