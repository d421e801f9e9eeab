#!/usr/bin/python3
"""Reference implementation of language-detection (not run by the build).

Builds the profiles straight from the Debian word lists with make_profiles.py (and checks that
the committed profiles.hpp holds the same), then classifies with its own Python code: the
Cavnar-Trenkle out-of-place distance over the text's top trigrams, as described in
language_detection.cpp.

  /usr/bin/python3 reference.py IN.json OUT.json     # write the expected response
  /usr/bin/python3 reference.py --sha256 IN.json ... # print the SHA-256 of each expected response
"""
import collections
import json
import os
import re
import sys

import make_profiles as mp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import reference_cli  # noqa: E402  (functions/sdk/reference_cli.py)

HERE = os.path.dirname(os.path.abspath(__file__))


def load_profiles():
    profiles = mp.build_profiles()
    with open(os.path.join(HERE, "profiles.hpp"), encoding="utf-8") as f:
        header = f.read()
    for code, _, _ in mp.LANGUAGES:
        body = re.search(r"k%s\[\] =\n(.*?);\n" % code.capitalize(), header, re.S).group(1)
        committed = "".join(re.findall(r'"([^"]*)"', body)).split(" ")
        assert committed == [t.replace(mp.BOUNDARY, "_") for t in profiles[code]], \
            "profiles.hpp is stale for %s: regenerate with make_profiles.py" % code
    return {code: {t: rank for rank, t in enumerate(profiles[code])} for code, _, _ in mp.LANGUAGES}


def detect(request, profiles):
    counts = collections.Counter()
    for word in mp.words(request["text"]):
        counts.update(mp.trigrams(word))
    ranked = mp.ranked(counts, mp.PROFILE_SIZE)
    assert ranked, "text has no letters"
    worst = len(ranked) * mp.PROFILE_SIZE
    distances = {}
    for code, profile in profiles.items():  # profile order breaks ties
        distances[code] = sum(abs(r - profile[t]) if t in profile else mp.PROFILE_SIZE
                              for r, t in enumerate(ranked))
    best = min(profiles, key=lambda code: distances[code])
    scores = {code: ((worst - d) * 10000 + worst // 2) // worst for code, d in distances.items()}
    response = {"language": best, "scores": scores}
    return json.dumps(response, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


if __name__ == "__main__":
    profiles = load_profiles()
    sys.exit(reference_cli.run(lambda request: detect(request, profiles), __doc__))
