#!/usr/bin/env bash
# Serves ONNX's backend test models the way issue 12's acceptance asks and checks that the server
# survives the models it refuses and the requests that fail:
#   1. ./braid conformance repo --out REPO   (unless REPO already holds models)
#   2. ./braid serve --repo REPO --device cpu on free ports; its lines say which models loaded
#   3. one ./braid infer (seeded random inputs) per loaded model, at most SAMPLE of them
#   4. the first model that answered, asked again: it must still answer
# Prints each model's outcome and a count, and exits 1 when a loaded model did not answer or the
# server stopped serving the good model. Usage: bench/conformance/serve-smoke.sh [REPO] [SAMPLE]
# (defaults /tmp/braid-conformance-repo, 40). Environment: BRAID_JAVA_OPTS as for ./braid.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
repo="${1:-/tmp/braid-conformance-repo}"
sample="${2:-40}"
braid="$root/braid"
export BRAID_JAVA_OPTS="${BRAID_JAVA_OPTS:--Xmx2g}"

if [ -z "$(ls -A "$repo" 2>/dev/null)" ]; then
  "$braid" conformance repo --out "$repo"
fi
log="$(mktemp)"
"$braid" serve --repo "$repo" --device cpu --grpc-port 0 --http-port 0 --cluster-port 0 >"$log" 2>&1 &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 240); do
  grep -q "serving gRPC on" "$log" && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "serve-smoke: the server exited while loading" >&2; exit 1; }
  sleep 1
done
port="$(grep -o 'serving gRPC on :[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
[ -n "$port" ] || { echo "serve-smoke: the server did not start serving within 240 s" >&2; exit 1; }
mapfile -t loaded < <(grep -E '^model .* version [0-9]+ loaded' "$log" | awk '{print $2}')
refused="$(grep -c '^model .* is not serving' "$log" || true)"
echo "serve-smoke: ${#loaded[@]} models loaded, $refused refused (port $port); asking at most $sample"

answered=0 failed=0 first=""
for m in "${loaded[@]:0:$sample}"; do
  if out="$(BRAID_NO_BUILD=1 "$braid" infer --model "$m" --port "$port" --timeout-ms 20000 2>&1)"; then
    answered=$((answered + 1))
    first="${first:-$m}"
    echo "answered  $m"
  else
    failed=$((failed + 1))
    echo "FAILED    $m: $(grep -v WARNING <<<"$out" | tail -1)"
  fi
done
still="not asked"
if [ -n "$first" ]; then
  if BRAID_NO_BUILD=1 "$braid" infer --model "$first" --port "$port" --timeout-ms 20000 >/dev/null 2>&1; then
    still="still answers"
  else
    still="NO LONGER ANSWERS"
  fi
fi
echo "serve-smoke: $answered answered, $failed failed of ${#loaded[@]} loaded (sample $sample); first good model ($first) $still"
[ "$failed" -eq 0 ] && [ "$still" != "NO LONGER ANSWERS" ]
