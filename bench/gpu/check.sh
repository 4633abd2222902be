#!/usr/bin/env bash
# The GPU check: run on the GPU host from inside the folder bench/gpu/pack.sh made.
#
#   ./check.sh OUTDIR
#
# Needs only what a GPU host has: bash, coreutils (timeout), python3 (with torch for the torch
# steps), the NVIDIA driver. Java comes from the bundle; the payload is unpacked with `xz` when it
# is on the PATH, else with Python's tarfile. Writes OUTDIR/check.json, OUTDIR/summary.md and every
# step's own files and logs; exits 1 if any correctness check failed (or a step that must run did
# not), 3 when the CUDA driver is missing or older than the fatbin needs, 0 otherwise.
#
# Time: the whole check ends within BRAID_CHECK_DEADLINE_S (default 480 s, under the lent device's
# 10-minute command limit). Each step runs under its own limit, clipped to the time left before
# the deadline less SUMMARY_RESERVE_S; a step that would get less than MIN_STEP_S is skipped and
# recorded as such. The default limits add up to less than the deadline (see LIMITS below).
# check.json and summary.md are written from an EXIT trap, so they exist whatever happens: a
# failed step, a deadline, or a SIGTERM/SIGINT from an outer timeout (the step running then is
# stopped and recorded as "interrupted").
#
# Environment:
#   BRAID_CHECK_DEVICE      device under test: cuda (default); cpu, the dry run without a GPU
#                           (smaller problems, torch steps skipped unless torch has CUDA); cuda-emu,
#                           the dry run of the CUDA path over the emulated driver in the bundle
#                           (emu/libcuda.so.1, else the native jar's; sets BRAID_CUDA_EMULATOR=1
#                           and puts it first on the loader's path).
#   BRAID_CHECK_DEADLINE_S  the global deadline in seconds (default 480).
#   BRAID_CHECK_POLICIES    1 runs the policies sweep and its PyTorch peer (off by default: the
#                           first run on a lent GPU spends its minutes on correctness and Table 1).
#   BRAID_CHECK_JAVA_OPTS   JVM options (default: -Xmx16g).
#   BRAID_CHECK_CASE_TIMEOUT_S  seconds a kernel case may run before its process is killed as hung
#                           (default 60).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1" && out="$(cd "$1" && pwd)"
device="${BRAID_CHECK_DEVICE:-cuda}"
case "$device" in
  cuda|cuda:[0-9]*|cpu|cuda-emu) ;;
  *) echo "check: BRAID_CHECK_DEVICE: expected cuda, cuda:N, cpu or cuda-emu, got '$device'" >&2; exit 2 ;;
esac
deadline_s="${BRAID_CHECK_DEADLINE_S:-480}"
[[ "$deadline_s" =~ ^[0-9]+$ ]] && [ "$deadline_s" -ge 60 ] \
  || { echo "check: BRAID_CHECK_DEADLINE_S: expected whole seconds >= 60, got '$deadline_s'" >&2; exit 2; }
start=$(date +%s)
end=$((start + deadline_s))
# Kept after the last step: a step's 5 s kill-after, then summarize.py (a few JSON files, under a
# second on a quiet host; 9 s was seen here under a load of 20 through a pyenv shim).
SUMMARY_RESERVE_S=20
MIN_STEP_S=10        # below this a JVM step cannot even start its device (a CUDA context takes ~1-3 s)
steps_file="$out/steps.tsv"
: > "$steps_file"
rm -f "$out/check.json" "$out/summary.md" # so that a stale pair never passes for this run's
current_step=""
current_pid=""
current_start=0
interrupted=""
work=""

# Written whatever happens: every exit path, a deadline, an outer timeout's SIGTERM.
finish() {
  local rc=$?
  trap - EXIT TERM INT
  if [ -n "$current_step" ]; then
    [ -n "$current_pid" ] && kill -TERM "$current_pid" 2>/dev/null && wait "$current_pid" 2>/dev/null
    printf '%s\tinterrupted\t%s\t%s\n' "$current_step" "$(( $(date +%s) - current_start ))" "${interrupted:-rc $rc}" >> "$steps_file"
  fi
  [ -f "$out/policies/policies.png" ] && cp "$out/policies/policies.png" "$out/policies.png"
  local srs=0
  timeout --kill-after=5 "$SUMMARY_RESERVE_S" python3 "$here/summarize.py" --out "$out" --device "$device" \
    --elapsed "$(( $(date +%s) - start ))" --deadline "$deadline_s" ${interrupted:+--interrupted "$interrupted"} \
    > "$out/summarize.log" 2>&1
  srs=$?
  if [ ! -s "$out/check.json" ] || [ ! -s "$out/summary.md" ] || [ $srs -gt 2 ]; then
    # summarize.py could not run (no python3, or it failed): a minimal record, from the shell alone
    printf '{"device": "%s", "correctness_passed": false, "summarize_exit_code": %d, "interrupted": "%s", "steps_tsv": "steps.tsv"}\n' \
      "$device" "$srs" "$interrupted" > "$out/check.json"
    { echo "# Braid GPU check: $device"; echo; echo "summarize.py failed (exit $srs; see summarize.log); steps:"; echo;
      sed 's/^/    /' "$steps_file"; } > "$out/summary.md"
    [ $srs -gt 2 ] || srs=1
  fi
  cat "$out/summary.md"
  [ -n "$work" ] && rm -rf "$work"
  echo "check: done in $(( $(date +%s) - start )) s of a ${deadline_s} s deadline; see $out/summary.md"
  if [ "$rc" -eq 3 ]; then exit 3; fi
  [ -n "$interrupted" ] && exit 1
  exit "$srs"
}
trap finish EXIT
trap 'interrupted="SIGTERM"; exit 143' TERM
trap 'interrupted="SIGINT"; exit 130' INT

# step NAME LIMIT_S CMD...: runs one step under min(LIMIT_S, time left), logs to OUTDIR/NAME.log,
# records name, status (ok, failed, timeout, skipped) and seconds in steps.tsv. The step runs in the
# background and the shell waits for it, so a SIGTERM to this script is handled at once.
step() {
  local name="$1" limit="$2"; shift 2
  local now left rc status
  now=$(date +%s)
  left=$(( end - SUMMARY_RESERVE_S - now ))
  if [ "$left" -lt "$MIN_STEP_S" ]; then
    skip "$name" "deadline: ${left} s left of ${deadline_s}, the step needs up to ${limit} s"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "check: [$name] starting (limit ${limit}s, $(( now - start )) s elapsed)"
  current_step="$name"; current_start=$now
  timeout --kill-after=5 "$limit" "$@" > "$out/$name.log" 2>&1 &
  current_pid=$!
  wait "$current_pid"
  rc=$?
  current_step=""; current_pid=""
  case $rc in
    0) status=ok ;;
    124|137) status=timeout ;;
    *) status=failed ;;
  esac
  local secs=$(( $(date +%s) - now ))
  printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$secs" "$rc" >> "$steps_file"
  echo "check: [$name] $status in ${secs} s (log: $out/$name.log)"
  tail -n 3 "$out/$name.log" | sed 's/^/    /'
  return $rc
}

skip() {
  printf '%s\tskipped\t0\t%s\n' "$1" "$2" >> "$steps_file"
  echo "check: [$1] skipped: $2"
}

# The step limits (seconds). Without the policies: nvidia_smi 15 + driver 20 + info 45 + kernels
# 110 + models 90 + calibrate 60 + table1 60 + torch_probe 20 + torch_bmm 40 = 460, plus
# SUMMARY_RESERVE_S 20 = 480, the default deadline; unpacking (a few seconds) comes out of whatever
# the steps leave unused, and the clipping keeps the total inside the deadline regardless. With
# BRAID_CHECK_POLICIES=1 the policies (150) and torch_peer (90) steps get what is left.
declare -A LIMITS=([nvidia_smi]=15 [driver]=20 [info]=45 [kernels]=110 [models]=90 [calibrate]=60 [table1]=60
  [torch_probe]=20 [torch_bmm]=40 [policies]=150 [torch_peer]=90)

# The runtime and jars travel compressed (the folder must stay under 60 MiB); unpack them once,
# with xz when the host has it, else with Python's tarfile (which reads xz itself).
work="$(mktemp -d /tmp/braid-gpucheck.XXXXXX)"
t0=$(date +%s)
if command -v xz >/dev/null; then
  tar -xJf "$here/payload.tar.xz" -C "$work" || { echo "check: cannot unpack $here/payload.tar.xz with tar/xz" >&2; exit 1; }
  how="tar/xz"
else
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$here/payload.tar.xz" "$work" \
    || { echo "check: cannot unpack $here/payload.tar.xz with Python's tarfile" >&2; exit 1; }
  how="python tarfile (no xz on the PATH)"
fi
echo "check: unpacked the runtime in $(( $(date +%s) - t0 )) s with $how"

java_device="$device"
if [ "$device" = cuda-emu ]; then
  # The emulated driver: packed as emu/libcuda.so.1 (pack.sh's BRAID_EMU_LIB), else the one the
  # native jar carries. BRAID_CUDA_EMULATOR=1 makes CudaDevice load it (BRAID_CUDA_EMULATOR_LIBRARY
  # names which), and LD_LIBRARY_PATH makes it the libcuda.so.1 of everything else (driver.py's
  # ctypes probe, and JCuda's binding where no Java loader runs first). --device cuda: with the
  # variable set, that is the emulator.
  if [ ! -f "$work/emu/libcuda.so.1" ]; then
    mkdir -p "$work/emu"
    python3 - "$work/lib" "$work/emu" <<'PY' || true
import glob, os, sys, zipfile
entry = "dev/braid/device/cuda/emu/libcuda.so.1"
for jar in sorted(glob.glob(os.path.join(sys.argv[1], "*.jar"))):
    with zipfile.ZipFile(jar) as z:
        if entry in z.namelist():
            with open(os.path.join(sys.argv[2], "libcuda.so.1"), "wb") as f:
                f.write(z.read(entry))
            break
PY
  fi
  [ -f "$work/emu/libcuda.so.1" ] || { echo "check: cuda-emu: no emulated driver in the bundle (emu/libcuda.so.1 or the native jar's); build native where g++ exists, then rerun pack.sh" >&2; exit 1; }
  export BRAID_CUDA_EMULATOR=1 BRAID_CUDA_EMULATOR_LIBRARY="$work/emu/libcuda.so.1"
  export LD_LIBRARY_PATH="$work/emu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  java_device=cuda
fi

# --enable-native-access: the bundled runtime is a JDK 25 (pack.sh's jlink), which warns on JNI
# loads (JCuda's) from the class path without it; --add-modules: the CPU GEMM's Vector API.
cat > "$work/braid" <<LAUNCHER
#!/usr/bin/env bash
exec "$work/runtime/bin/java" ${BRAID_CHECK_JAVA_OPTS:--Xmx16g} -Djava.awt.headless=true \\
  --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp "$work/lib/*" dev.braid.coordinator.cli.BraidCli "\$@"
LAUNCHER
chmod +x "$work/braid"
braid="$work/braid"

if [ "$device" = cuda-emu ]; then
  # the emulator runs a GPU thread per fiber: timings mean nothing, so calibrate once per kernel
  img=64; t1_args=(--r 2,10 --repeats 1 --warmup 0); pol_args=(--models 2 --duration 1s --image-size 64)
  cal_args=(--image-size 64 --repeats 1 --warmup 0 --pipelined 0); peer_args=(--image-size 64)
elif [ "$device" = cpu ]; then
  # dry runs: the same code paths on problems a 2-core machine finishes in a few minutes
  img=64; t1_args=(--r 2,10 --repeats 1 --warmup 0); pol_args=(--models 2 --duration 1s --image-size 64)
  cal_args=(--image-size 64 --repeats 3 --pipelined 5); peer_args=(--image-size 64)
else
  img=224; t1_args=(); pol_args=(--models 16 --sweep --duration 2s)
  cal_args=(); peer_args=(--image-size 224)
fi

# (1) the device and its driver: refuse at once when the driver is older than the fatbin needs
if command -v nvidia-smi >/dev/null; then
  step nvidia_smi "${LIMITS[nvidia_smi]}" nvidia-smi --query-gpu=name,uuid,driver_version,memory.total,clocks.max.sm,clocks.max.mem,clocks.sm,power.limit,pstate --format=csv
else
  skip nvidia_smi "nvidia-smi not found"
fi
if [ "$device" = cpu ]; then
  skip driver "device cpu: no CUDA driver is used"
else
  step driver "${LIMITS[driver]}" python3 "$here/driver.py" --lib "$work/lib" --out "$out/driver.json"
  if [ $? -eq 3 ]; then
    echo "check: $(tail -n 1 "$out/driver.log")" >&2
    exit 3
  fi
fi
step info "${LIMITS[info]}" "$braid" bench gpucheck info --device "$java_device" --out "$out/info.json"
[ -f "$out/driver.json" ] && python3 "$here/driver.py" --merge "$out/driver.json" --into "$out/info.json" >> "$out/driver.log" 2>&1
# (2) kernels and super-kernels against the CPU device, each fault restarting in a fresh process
step kernels "${LIMITS[kernels]}" "$braid" bench gpucheck kernels --device "$java_device" --isolate \
  --case-timeout "${BRAID_CHECK_CASE_TIMEOUT_S:-60}" --out "$out/kernels.json"
# (3) zoo models end to end, batch 1 and 4
step models "${LIMITS[models]}" "$braid" bench gpucheck models --device "$java_device" --image-size "$img" --out "$out/models.json"
# (4) per-kernel latencies beside the simulator's
step calibrate "${LIMITS[calibrate]}" "$braid" bench gpucheck calibrate --device "$java_device" "${cal_args[@]}" --out "$out/calibration.json"
# (5) Table 1 and the policies, with their PyTorch counterparts
step table1 "${LIMITS[table1]}" "$braid" bench table1 --device "$java_device" "${t1_args[@]}" --out "$out/table1"
torch_ok=0
if [ "$device" = cuda-emu ]; then
  skip torch_probe "device cuda-emu: no GPU for torch"
elif step torch_probe "${LIMITS[torch_probe]}" python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)'; then
  torch_ok=1
fi
torch_why="$(tail -n 1 "$out/torch_probe.log" 2>/dev/null)"; [ -n "$torch_why" ] || torch_why="torch has no CUDA device"
if [ $torch_ok = 1 ]; then
  step torch_bmm "${LIMITS[torch_bmm]}" python3 "$here/torch_bmm.py" --out "$out/torch_bmm.json"
else
  skip torch_bmm "torch with CUDA unavailable: $torch_why"
fi
if [ "${BRAID_CHECK_POLICIES:-0}" = 1 ]; then
  step policies "${LIMITS[policies]}" "$braid" bench policies --device "$java_device" "${pol_args[@]}" --out "$out/policies"
  # (6) the PyTorch peer on the same request mix
  if [ $torch_ok = 1 ] && [ -f "$out/policies/results.json" ]; then
    step torch_peer "${LIMITS[torch_peer]}" python3 "$here/torch_peer.py" --policies "$out/policies/results.json" "${peer_args[@]}" \
      --out "$out/torch_peer.json"
  else
    skip torch_peer "torch with CUDA unavailable or no policies results: $torch_why"
  fi
else
  skip policies "off by default; BRAID_CHECK_POLICIES=1 runs it"
  skip torch_peer "runs after the policies step, which is off"
fi
exit 0 # the EXIT trap writes check.json and summary.md and sets the exit status
