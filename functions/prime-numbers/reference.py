#!/usr/bin/env python3
"""Reference for prime-numbers: writes expected/<name>.json for every inputs/<name>.json.

Independent of the C++ handler: a plain sieve of Eratosthenes over all integers with
bytearray slice assignment. The output is nlohmann-json's compact dump with sorted keys.
Run from anywhere: python3 reference.py
"""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent


def primes_up_to(n):
    if n < 2:
        return 0, []
    is_prime = bytearray([1]) * (n + 1)
    is_prime[0] = is_prime[1] = 0
    p = 2
    while p * p <= n:
        if is_prime[p]:
            is_prime[p * p :: p] = bytes(len(range(p * p, n + 1, p)))
        p += 1
    count = sum(is_prime)
    last = []
    k = n
    while k >= 2 and len(last) < 10:
        if is_prime[k]:
            last.append(k)
        k -= 1
    return count, last[::-1]


def main():
    for path in sorted((HERE / "inputs").glob("*.json")):
        n = json.loads(path.read_text())["n"]
        count, last = primes_up_to(n)
        out = json.dumps({"n": n, "count": count, "last": last}, separators=(",", ":"), sort_keys=True)
        (HERE / "expected" / path.name).write_text(out + "\n")
        print(path.stem, out)


if __name__ == "__main__":
    main()
