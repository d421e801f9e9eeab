#!/usr/bin/python3
"""Reference implementation of image-resize (numpy; not run by the build).

Computes the expected response independently of the C++ code: the box filter is written as two
integer weight matrices built from interval overlaps, applied as out = Wy @ channel @ Wx.T, then
divided by p*p rounding half up.

  /usr/bin/python3 reference.py IN.json OUT.json     # write the expected response
  /usr/bin/python3 reference.py --sha256 IN.json ... # print the SHA-256 of each expected response
"""
import base64
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import reference_cli  # noqa: E402  (functions/sdk/reference_cli.py)


def parse_ppm(data):
    fields, pos = [], 2
    assert data[:2] == b"P6", "not a P6 PPM"
    while len(fields) < 3:
        while data[pos:pos + 1].isspace() or data[pos:pos + 1] == b"#":
            if data[pos:pos + 1] == b"#":
                pos = data.index(b"\n", pos)
            pos += 1
        start = pos
        while data[pos:pos + 1].isdigit():
            pos += 1
        fields.append(int(data[start:pos]))
    width, height, maxval = fields
    assert maxval == 255
    pos += 1
    raster = np.frombuffer(data[pos:pos + width * height * 3], dtype=np.uint8)
    return raster.reshape(height, width, 3)


def weights(n_in, p, q):
    """(n_out, n_in) matrix: overlap of output span [i*p, i*p+p) and source [s*q, s*q+q)."""
    n_out = n_in * q // p
    lo = np.arange(n_out, dtype=np.int64)[:, None] * p
    src = np.arange(n_in, dtype=np.int64)[None, :] * q
    return np.clip(np.minimum(lo + p, src + q) - np.maximum(lo, src), 0, None)


def resize(request):
    scale = request["scale"]
    p, q = int(scale * 1000.0 + 0.5), 1000
    g = math.gcd(p, q)
    p, q = p // g, q // g
    img = parse_ppm(base64.b64decode(request["image"], validate=True)).astype(np.int64)
    wy = weights(img.shape[0], p, q)
    wx = weights(img.shape[1], p, q)
    out = np.empty((wy.shape[0], wx.shape[0], 3), dtype=np.uint8)
    for c in range(3):
        acc = wy @ img[:, :, c] @ wx.T
        out[:, :, c] = (acc + p * p // 2) // (p * p)
    ppm = b"P6\n%d %d\n255\n" % (out.shape[1], out.shape[0]) + out.tobytes()
    response = {"width": out.shape[1], "height": out.shape[0], "image": base64.b64encode(ppm).decode()}
    # nlohmann-json's dump(): keys sorted, no spaces.
    return json.dumps(response, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(reference_cli.run(resize, __doc__))
