#!/bin/sh
# Lays out a built Braid (after `mvn -B -DskipTests package`) as the image's /opt/braid: the
# launcher jar, every runtime jar (bench/target/classpath.txt), a JVM argument file naming them,
# and bin/braid. The Dockerfile's build stage runs it; run by hand it makes the same tree anywhere:
#   deploy/docker/assemble.sh . /tmp/braid-image && /tmp/braid-image/bin/braid --help
set -eu
src="${1:?usage: assemble.sh SOURCE_TREE OUT_DIR}"
out="${2:?usage: assemble.sh SOURCE_TREE OUT_DIR}"
mkdir -p "$out/lib" "$out/bin"
jar="$(ls "$src"/bench/target/braid-bench-*.jar | head -1)"
cp "$jar" "$out/lib/"
cp_line="/opt/braid/lib/$(basename "$jar")"
# classpath.txt: the runtime jars (Maven's repository and the reactor's module jars), ':'-separated.
for f in $(tr ':' ' ' < "$src/bench/target/classpath.txt"); do
  cp "$f" "$out/lib/"
  cp_line="$cp_line:/opt/braid/lib/$(basename "$f")"
done
# An argument file, not -cp on the command line: ONNX Runtime's set-up overflowed the stack when
# the JVM's command line carried a classpath of about 4 KB (see ./braid).
printf -- '-cp\n"%s"\n' "$cp_line" > "$out/java.args"
cat > "$out/bin/braid" <<'LAUNCHER'
#!/bin/sh
# Braid in the image: BRAID_JAVA_OPTS as for ./braid (default -Xmx4g); models under /models.
exec java ${BRAID_JAVA_OPTS:--Xmx4g} --add-modules jdk.incubator.vector -Dbraid.home=/var/lib/braid \
  @/opt/braid/java.args dev.braid.coordinator.cli.BraidCli "$@"
LAUNCHER
chmod +x "$out/bin/braid"
echo "assembled $(ls "$out/lib" | wc -l) jars under $out"
