#!/usr/bin/python3
"""Reference implementation of audio-generation (numpy; not run by the build).

Repeats the function's arithmetic step for step, vectorized differently: every 1024-sample block
of an oscillator is anchored from the exact phase with the same Taylor kernel, and the rotation
recurrence runs over all blocks at once (numpy does one IEEE operation per element, no FMA).
The WAV header is written with the standard library's wave module.

  /usr/bin/python3 reference.py IN.json OUT.json     # write the expected response
  /usr/bin/python3 reference.py --sha256 IN.json ... # print the SHA-256 of each expected response
"""
import base64
import io
import json
import os
import sys
import wave

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import reference_cli  # noqa: E402  (functions/sdk/reference_cli.py)

BLOCK = 1024
HALF_PI = 1.5707963267948966


def sincos_cycles(t):
    """sin and cos of 2*pi*t (arrays), same operation order as the C++ kernel."""
    u = t * 4.0
    k = np.floor(u + 0.5)
    x = (u - k) * HALF_PI
    x2 = x * x
    s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0 +
             x2 * (-1.0 / 39916800.0 + x2 * (1.0 / 6227020800.0 + x2 * (-1.0 / 1307674368000.0))))))))
    c = 1.0 + x2 * (-1.0 / 2.0 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 +
             x2 * (-1.0 / 3628800.0 + x2 * (1.0 / 479001600.0 + x2 * (-1.0 / 87178291200.0 +
             x2 * (1.0 / 20922789888000.0))))))))
    quadrant = k.astype(np.int64) & 3
    sin = np.select([quadrant == 0, quadrant == 1, quadrant == 2], [s, c, -s], -c)
    cos = np.select([quadrant == 0, quadrant == 1, quadrant == 2], [c, -s, -c], s)
    return sin, cos


def frac(v):
    return v - np.floor(v)


def tone(n, freq, amp, rate):
    step_sin, step_cos = sincos_cycles(frac(np.array([freq / rate])))
    starts = np.arange(0, n, BLOCK, dtype=np.float64)
    s, c = sincos_cycles(frac((freq * starts) / rate))
    out = np.empty((len(starts), BLOCK))
    for j in range(BLOCK):
        out[:, j] = amp * s
        c, s = c * step_cos - s * step_sin, s * step_cos + c * step_sin
    return out.reshape(-1)[:n]


def synthesize(request):
    rate = request["sample_rate"]
    n = int(request["seconds"] * float(rate) + 0.5)
    mix = np.zeros(n)
    for t in request["tones"]:
        mix = mix + tone(n, float(t["freq"]), float(t["amp"]), float(rate))
    fade = min(rate // 100, n // 2)
    i = np.arange(n)
    gain_in = i[:fade].astype(np.float64) / float(fade)
    gain_out = (n - 1 - i[n - fade:]).astype(np.float64) / float(fade)
    if fade:
        mix[:fade] = mix[:fade] * gain_in
        mix[n - fade:] = mix[n - fade:] * gain_out
    mix = np.clip(mix, -1.0, 1.0)
    pcm = np.floor(mix * 32767.0 + 0.5).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    response = {"samples": n, "wav": base64.b64encode(buf.getvalue()).decode()}
    return json.dumps(response, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    sys.exit(reference_cli.run(synthesize, __doc__))
