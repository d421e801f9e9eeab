#!/bin/sh
# hello echoes its message, so each expected output is its input in nlohmann-json's compact
# form. Copies the generated medium input into inputs/ and expected/ and prints the
# expected_sha256 of the generated large input (= its output). Not run by the build.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"message":"Hello, Lumos!"}\n' > "$here/inputs/small.json"
cp "$here/inputs/small.json" "$here/expected/small.json"
cc -O2 "$here/gen_inputs.c" -lm -o "$tmp/gen"
(cd "$tmp" && ./gen "$tmp")
cp "$tmp/medium.json" "$here/inputs/medium.json"
cp "$tmp/medium.json" "$here/expected/medium.json"
echo "large expected_sha256: $(sha256sum < "$tmp/large.json" | cut -d' ' -f1)"
