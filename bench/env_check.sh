#!/bin/sh
# Measures the environment emulation: edge-pi link RTT/bandwidth (echo server and redis),
# the ideal link's overhead, a 0.5 CPU quota's slowdown and a memory limit. Needs root.
# Usage: bench/env_check.sh [BUILD_DIR]   (default: build)
set -eu
build=${1:-build}
"$build/lumos_integration_tests" --gtest_filter='LinkEmulator.*:CgroupSlot.*' --gtest_color=no |
  grep -E '^\[(edge-pi link|ideal link|redis|rtt|64 clients|cpu|memory)|^\[  (PASSED|FAILED|SKIPPED)'
