#!/usr/bin/env bash
# The GPU check: run on the GPU host from inside the folder bench/gpu/pack.sh made.
#
#   ./check.sh OUTDIR
#
# Needs only what a GPU host has: bash, coreutils (timeout), tar with xz, python3 (with torch for
# steps 5b and 6), the CUDA driver. Java comes from the bundle. Writes OUTDIR/check.json,
# OUTDIR/summary.md, OUTDIR/policies.png and every step's own files and logs; exits 1 if any
# correctness check failed (or a step that must run did not), 0 otherwise.
#
# Environment:
#   BRAID_CHECK_DEVICE  device under test (default: cuda). `cpu` is the dry run for machines
#                       without a GPU: smaller problems, torch steps skipped unless torch has CUDA.
#   BRAID_CHECK_JAVA_OPTS  JVM options (default: -Xmx16g)
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1" && out="$(cd "$1" && pwd)"
device="${BRAID_CHECK_DEVICE:-cuda}"
start=$(date +%s)
steps_file="$out/steps.tsv"
: > "$steps_file"

# The runtime and jars travel compressed (the folder must stay under 60 MiB); unpack them once.
work="$(mktemp -d /tmp/braid-gpucheck.XXXXXX)"
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
tar -xJf "$here/payload.tar.xz" -C "$work" || { echo "check: cannot unpack $here/payload.tar.xz" >&2; exit 1; }
echo "check: unpacked the runtime in $(( $(date +%s) - t0 )) s"

# a launcher file, not a shell function, so that `timeout` can run it
cat > "$work/braid" <<LAUNCHER
#!/usr/bin/env bash
exec "$work/runtime/bin/java" ${BRAID_CHECK_JAVA_OPTS:--Xmx16g} -Djava.awt.headless=true \\
  --add-modules jdk.incubator.vector -cp "$work/lib/*" dev.braid.coordinator.cli.BraidCli "\$@"
LAUNCHER
chmod +x "$work/braid"
braid="$work/braid"

# step NAME TIMEOUT_S CMD...: runs one step under its own timeout, logs to OUTDIR/NAME.log,
# records name, status (ok, failed, timeout) and seconds in steps.tsv.
step() {
  local name="$1" limit="$2"; shift 2
  local s=$(date +%s) rc status
  echo "check: [$name] starting (limit ${limit}s, $(( s - start )) s elapsed)"
  timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124|137) status=timeout ;;
    *) status=failed ;;
  esac
  local secs=$(( $(date +%s) - s ))
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$secs" "$rc" >> "$steps_file"
  echo "check: [$name] $status in ${secs} s (log: $out/$name.log)"
  tail -n 3 "$out/$name.log" | sed 's/^/    /'
}

skip() {
  printf '%s\tskipped\t0\t%s\n' "$1" "$2" >> "$steps_file"
  echo "check: [$1] skipped: $2"
}

if [ "$device" = cpu ]; then
  # dry run: the same code paths on problems a 2-core machine finishes in a few minutes
  img=64; t1_args=(--r 2,10 --repeats 1 --warmup 0); pol_args=(--models 2 --duration 1s --image-size 64)
  cal_args=(--image-size 64 --repeats 3 --pipelined 5); peer_args=(--image-size 64)
else
  img=224; t1_args=(); pol_args=(--models 16 --sweep --duration 2s)
  cal_args=(); peer_args=(--image-size 224)
fi

# (1) the device
if command -v nvidia-smi >/dev/null; then
  step nvidia_smi 30 nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,clocks.max.sm,clocks.max.mem,clocks.sm,power.limit,pstate --format=csv
else
  skip nvidia_smi "nvidia-smi not found"
fi
step info 60 "$braid" bench gpucheck info --device "$device" --out "$out/info.json"
# (2) kernels and super-kernels against the CPU device
step kernels 120 "$braid" bench gpucheck kernels --device "$device" --out "$out/kernels.json"
# (3) zoo models end to end, batch 1 and 4
step models 150 "$braid" bench gpucheck models --device "$device" --image-size "$img" --out "$out/models.json"
# (4) per-kernel latencies beside the simulator's
step calibrate 120 "$braid" bench gpucheck calibrate --device "$device" "${cal_args[@]}" --out "$out/calibration.json"
# (5) Table 1 and the policies, with their PyTorch counterparts
step table1 120 "$braid" bench table1 --device "$device" "${t1_args[@]}" --out "$out/table1"
torch_ok=0
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)' > "$out/torch_probe.log" 2>&1; then
  torch_ok=1
fi
torch_why="$(tail -n 1 "$out/torch_probe.log" 2>/dev/null)"; [ -n "$torch_why" ] || torch_why="torch has no CUDA device"
if [ $torch_ok = 1 ]; then
  step torch_bmm 90 python3 "$here/torch_bmm.py" --out "$out/torch_bmm.json"
else
  skip torch_bmm "torch with CUDA unavailable: $torch_why"
fi
step policies 200 "$braid" bench policies --device "$device" "${pol_args[@]}" --out "$out/policies"
# (6) the PyTorch peer on the same request mix
if [ $torch_ok = 1 ] && [ -f "$out/policies/results.json" ]; then
  step torch_peer 120 python3 "$here/torch_peer.py" --policies "$out/policies/results.json" "${peer_args[@]}" \
    --out "$out/torch_peer.json"
else
  skip torch_peer "torch with CUDA unavailable or no policies results: $torch_why"
fi
[ -f "$out/policies/policies.png" ] && cp "$out/policies/policies.png" "$out/policies.png"

# merge
python3 "$here/summarize.py" --out "$out" --device "$device" --elapsed "$(( $(date +%s) - start ))"
rc=$?
echo "check: done in $(( $(date +%s) - start )) s; see $out/summary.md"
exit $rc
