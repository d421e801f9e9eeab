#!/usr/bin/env bash
# The layering check catches a planted include against the module table (model -> engine).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/docs"
cp "$src/docs/ARCHITECTURE.md" "$t/docs/"
cp -r "$src/src" "$src/include" "$t/"
"$src/scripts/check-layering" --root "$t" >/dev/null || { echo "the unchanged tree should pass"; exit 1; }
printf '#include "lumos/engine/runner.hpp"\n' >> "$t/src/model/usl.cpp"
if out=$("$src/scripts/check-layering" --root "$t"); then
  echo "the planted include was not caught"; exit 1
fi
echo "$out"
grep -q 'src/model/usl.cpp:.*model -> engine is not allowed' <<<"$out"
