#!/usr/bin/env bash
# Regenerates the README's conformance tables from a measured run: runs native's
# OnnxBackendConformanceTest (ONNX's backend data must be installed: libonnx-testdata), then
# replaces the block between the README's "conformance:begin" and "conformance:end" markers with
# the run's native/target/conformance/summary.md. Extra arguments go to Maven (e.g. drop -o by
# passing nothing: it runs offline by default). Fails, leaving the README as it was, when the test
# fails (a WRONG answer or a regression).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl native -am test -Dtest=OnnxBackendConformanceTest -Dsurefire.failIfNoSpecifiedTests=false "$@"
summary=native/target/conformance/summary.md
[ -s "$summary" ] || { echo "readme.sh: $summary is missing: was the test skipped (no data)?" >&2; exit 1; }
grep -q '<!-- conformance:begin -->' README.md || { echo "readme.sh: README.md has no conformance:begin marker" >&2; exit 1; }
awk -v f="$summary" '
  /<!-- conformance:begin -->/ { print; while ((getline line < f) > 0) print line; skip = 1; next }
  /<!-- conformance:end -->/ { skip = 0 }
  !skip' README.md > README.md.new
mv README.md.new README.md
echo "README.md: conformance tables replaced with $summary"
