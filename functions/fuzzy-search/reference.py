#!/usr/bin/env python3
"""Reference for fuzzy-search, independent of fuzzy_search.cpp.

  python3 reference.py --make-inputs   rewrite the committed inputs/small.json, inputs/medium.json
                                       (excerpts of /usr/share/dict/american-english, wamerican)
  python3 reference.py                 write expected/<name>.json for the committed inputs, and
                                       print the expected_sha256 of the generated inputs
                                       (rebuilt here with gen_inputs.c's selection rule; if
                                       build/artifacts/fuzzy-search/generated/ exists, its files
                                       are checked byte for byte against them)

Distances are Levenshtein distances over UTF-8 bytes; ties are broken by the word's byte
order. Output: nlohmann-json's compact dump with sorted keys, non-ASCII left unescaped.
"""
import hashlib
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DICT = pathlib.Path("/usr/share/dict/american-english")
GENERATED = HERE.parent.parent / "build" / "artifacts" / "fuzzy-search" / "generated"

COMMITTED = {"small": ("recieve", 10, 1000), "medium": ("seperately", 10, 5000)}
# Must match main() of gen_inputs.c; n = 0 means every word.
GENERATED_INPUTS = {"n1e4": ("definately", 10, 10000), "n1e5": ("pronounciation", 10, 100000),
                    "large": ("accomodations", 25, 0)}


def dump(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def dictionary():
    lines = DICT.read_bytes().decode("utf-8").split("\n")
    return [w.rstrip("\r") for w in lines if w.rstrip("\r")]


def select(words, n):
    if n == 0 or n > len(words):
        n = len(words)
    return [words[i * len(words) // n] for i in range(n)]


def levenshtein(a, b):
    prev = list(range(len(a) + 1))
    for j, cb in enumerate(b, 1):
        cur = [j]
        for i, ca in enumerate(a, 1):
            cur.append(min(prev[i - 1] + (ca != cb), prev[i] + 1, cur[i - 1] + 1))
        prev = cur
    return prev[-1]


def search(request):
    query = request["query"].encode()
    k = request.get("k", 10)
    scored = sorted((levenshtein(query, w.encode()), w.encode(), w) for w in request["words"])
    return {"query": request["query"], "scanned": len(request["words"]),
            "matches": [{"distance": d, "word": w} for d, _, w in scored[:k]]}


def main():
    if "--make-inputs" in sys.argv:
        words = dictionary()
        for name, (query, k, n) in COMMITTED.items():
            (HERE / "inputs" / (name + ".json")).write_text(
                dump({"query": query, "k": k, "words": select(words, n)}) + "\n", encoding="utf-8")
        return
    for name in COMMITTED:
        request = json.loads((HERE / "inputs" / (name + ".json")).read_text(encoding="utf-8"))
        (HERE / "expected" / (name + ".json")).write_text(dump(search(request)) + "\n", encoding="utf-8")
        print(name, "written")
    words = dictionary()
    for name, (query, k, n) in GENERATED_INPUTS.items():
        request = {"k": k, "query": query, "words": select(words, n)}
        built = GENERATED / (name + ".json")
        if built.exists():
            same = built.read_bytes() == (dump(request) + "\n").encode()
            print(name, "generated file", "matches" if same else "DIFFERS from", "the reference's")
        digest = hashlib.sha256(dump(search(request)).encode()).hexdigest()
        print(name, "expected_sha256:", digest, flush=True)


if __name__ == "__main__":
    main()
