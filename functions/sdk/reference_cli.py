"""The command line shared by the functions' reference scripts (run by hand, not by the build).

  reference.py IN.json OUT.json      write the expected response to the request IN.json
  reference.py --sha256 IN.json ...  print the SHA-256 of each expected response (for
                                     function.yaml's expected_sha256 of generated inputs)
"""
import hashlib
import json
import sys


def run(respond, usage, argv=None):
    """respond(request dict) -> response text; usage: the script's docstring. Returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--sha256":
        for path in argv[1:]:
            with open(path, encoding="utf-8") as f:
                body = respond(json.load(f))
            print(hashlib.sha256(body.encode()).hexdigest(), path)
        return 0
    if len(argv) != 2:
        print(usage, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        body = respond(json.load(f))
    with open(argv[1], "w", encoding="utf-8") as f:
        f.write(body + "\n")
    return 0
