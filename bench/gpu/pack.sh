#!/usr/bin/env bash
# Builds Braid and assembles bench/gpu/bundle/: everything the GPU check needs on a host without
# Java, in at most 60 MiB. Its last line of output is the folder's absolute path.
#
# The folder holds check.sh, the Python scripts and payload.tar.xz: a jlink runtime (only the
# modules Braid needs) and the bench module's runtime jars, less ONNX Runtime (54 MB, used only
# by `bench cpu`), XChart's PDF/SVG/EPS back ends and the JCuda natives other than the driver
# API's. The runtime alone is ~90 MB on disk (libjvm.so is 25 MB stripped), so the payload is
# xz-compressed; check.sh unpacks it into a temporary directory (a few seconds), with Python's
# tarfile where the GPU host has no xz program. The runtime is the JDK 25 of JLINK_JDK, so
# check.sh starts it with --enable-native-access=ALL-UNNAMED (JCuda loads a JNI library).
#
# Needs jlink (a JDK), zip, unzip, tar and xz.
#
# Environment: MVN_ARGS (extra Maven arguments, e.g. -o), JLINK_JDK (a JDK with jlink; default
# /usr/lib/jvm/temurin-25-jdk-amd64), SKIP_BUILD=1 (use the jars already in */target),
# BRAID_EMU_LIB (an emulated libcuda.so.1 to pack, see below), PACK_XZ_OPT (default "-9 -T0"; a
# lower level packs faster on a busy machine, the 60 MiB limit permitting).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
gpu="$root/bench/gpu"
bundle="$gpu/bundle"
jdk="${JLINK_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
limit_bytes=$((60 * 1024 * 1024))
[ -x "$jdk/bin/jlink" ] || { echo "pack: no jlink at $jdk/bin/jlink; set JLINK_JDK" >&2; exit 1; }
for tool in zip unzip xz tar; do
  command -v "$tool" >/dev/null || { echo "pack: needs '$tool' on PATH (Debian: apt-get install $tool)" >&2; exit 1; }
done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "pack: building (mvn -B -q -DskipTests ${MVN_ARGS:-} package)" >&2
  # shellcheck disable=SC2086
  (cd "$root" && mvn -B -q -DskipTests ${MVN_ARGS:-} package) >&2
fi
cp_file="$root/bench/target/classpath.txt"
bench_jar="$(ls "$root"/bench/target/braid-bench-*.jar | head -1)"
[ -f "$cp_file" ] && [ -f "$bench_jar" ] || { echo "pack: build outputs missing in bench/target" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"

# Jars are re-stored without compression: xz over the whole payload compresses class files
# several times better than each jar's own deflate does, which keeps the bundle under its limit.
store_uncompressed() {
  local src="$1" dst="$2" tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && unzip -q -o "$src" && zip -q -0 -r -X "$dst" .)
  rm -rf "$tmp"
}

# The jars. Left out: ONNX Runtime (bench cpu only; nothing on the check's path loads ai.onnxruntime),
# XChart's vector back ends (pdfbox, fontbox, graphics2d, VectorGraphics2D: PNGs need none of them).
excluded='onnxruntime|pdfbox|fontbox|graphics2d|VectorGraphics2D'
tr ':' '\n' < "$cp_file" | while read -r jar; do
  [ -n "$jar" ] || continue
  base="$(basename "$jar")"
  if [[ "$base" =~ $excluded ]]; then
    echo "pack: leaving out $base" >&2
  elif [[ "$base" == jcuda-natives-* ]]; then
    # Only the driver API's library: CudaDevice uses cuXxx calls alone (no runtime, NVRTC or
    # nvPTXCompiler, which are 24 MB of the jar's 26).
    mkdir -p "$stage/jcuda"
    (cd "$stage/jcuda" && unzip -q -o "$jar" 'lib/libJCudaDriver-*' 'META-INF/MANIFEST.MF')
    "$jdk/bin/jar" --create --file "$stage/lib/$base" --manifest "$stage/jcuda/META-INF/MANIFEST.MF" -C "$stage/jcuda" lib
    rm -rf "$stage/jcuda"
  else
    store_uncompressed "$jar" "$stage/lib/$base"
  fi
done
store_uncompressed "$bench_jar" "$stage/lib/$(basename "$bench_jar")"

# The emulated CUDA driver, for check.sh's BRAID_CHECK_DEVICE=cuda-emu dry run: the native jar
# carries it where native's emulator profile built it (dev/braid/device/cuda/emu/libcuda.so.1);
# BRAID_EMU_LIB=PATH packs another (as emu/libcuda.so.1), which check.sh then prefers.
emu_entry=dev/braid/device/cuda/emu/libcuda.so.1
if [ -n "${BRAID_EMU_LIB:-}" ]; then
  [ -f "$BRAID_EMU_LIB" ] || { echo "pack: BRAID_EMU_LIB: no file at $BRAID_EMU_LIB" >&2; exit 1; }
  mkdir -p "$stage/emu"
  cp "$BRAID_EMU_LIB" "$stage/emu/libcuda.so.1"
  echo "pack: adding the emulated driver $BRAID_EMU_LIB ($(stat -c %s "$BRAID_EMU_LIB") bytes)" >&2
elif unzip -l "$stage"/lib/braid-native-*.jar 2>/dev/null | grep -q "$emu_entry"; then
  echo "pack: the native jar carries the emulated driver ($emu_entry)" >&2
else
  echo "pack: no emulated driver (neither in the native jar nor BRAID_EMU_LIB); the bundle cannot dry-run cuda-emu" >&2
fi

# The runtime: the modules jdeps finds in Braid's jars and their dependencies, plus
# jdk.incubator.vector (the CPU GEMM) and java.desktop (XChart draws PNGs with AWT, headless).
modules="$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps --recursive \
  --class-path "$stage/lib/*" "$stage"/lib/braid-*.jar 2>/dev/null | tail -n 1)"
modules="$(printf %s "$modules,jdk.incubator.vector,java.desktop,java.logging,java.management,java.sql,jdk.unsupported" | tr , "\n" | sort -u | paste -sd,)"
echo "pack: jlink modules $modules" >&2
# zip-0: xz compresses the whole payload better than jlink's per-entry zip would leave it.
"$jdk/bin/jlink" --add-modules "$modules" --compress zip-0 --strip-debug --no-header-files --no-man-pages \
  --output "$stage/runtime" 2> >(grep -v 'incubator modules' >&2)
if command -v strip >/dev/null; then
  strip --strip-unneeded "$stage/runtime/lib/server/libjvm.so" # 30 MB -> 25 MB; symbols unused at run time
fi
"$stage/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Djava.awt.headless=true -cp "$stage/lib/*" \
  dev.braid.coordinator.cli.BraidCli bench gpucheck --help > /dev/null 2>&1 \
  || { echo "pack: the bundled runtime cannot start the CLI" >&2; exit 1; }

rm -rf "$bundle"
mkdir -p "$bundle"
echo "pack: compressing the payload (xz, about a minute)" >&2
payload=(runtime lib)
[ -d "$stage/emu" ] && payload+=(emu)
XZ_OPT="${PACK_XZ_OPT:--9 -T0}" tar -cJf "$bundle/payload.tar.xz" -C "$stage" "${payload[@]}"
cp "$gpu/check.sh" "$gpu/torch_bmm.py" "$gpu/torch_peer.py" "$gpu/summarize.py" "$gpu/driver.py" "$bundle/"
chmod +x "$bundle/check.sh"

size=$(du -sb "$bundle" | cut -f1)
echo "pack: bundle is $size bytes ($(( size / 1024 / 1024 )) MiB; unpacked runtime $(du -sm "$stage/runtime" | cut -f1) MiB, jars $(du -sm "$stage/lib" | cut -f1) MiB)" >&2
if [ "$size" -gt "$limit_bytes" ]; then
  echo "pack: FAILED: the bundle is $size bytes, over the limit of $limit_bytes (60 MiB)" >&2
  exit 1
fi
echo "$bundle"
