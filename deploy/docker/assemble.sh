#!/bin/sh
# Lays out a built Braid (after `mvn -B -DskipTests package`) as the image's /opt/braid: the
# launcher jar, every runtime jar (bench/target/classpath.txt), a JVM argument file naming them,
# and bin/braid, naming PREFIX (where the tree will live; default /opt/braid, the image's) in both.
# The Dockerfile's build stage runs it; by hand it makes the same tree anywhere:
#   deploy/docker/assemble.sh . /tmp/braid-image /tmp/braid-image && /tmp/braid-image/bin/braid --help
set -eu
src="${1:?usage: assemble.sh SOURCE_TREE OUT_DIR [PREFIX]}"
out="${2:?usage: assemble.sh SOURCE_TREE OUT_DIR [PREFIX]}"
prefix="${3:-/opt/braid}"
mkdir -p "$out/lib" "$out/bin"
jar="$(ls "$src"/bench/target/braid-bench-*.jar | head -1)"
cp "$jar" "$out/lib/"
cp_line="$prefix/lib/$(basename "$jar")"
# classpath.txt: the runtime jars (Maven's repository and the reactor's module jars), ':'-separated.
for f in $(tr ':' ' ' < "$src/bench/target/classpath.txt"); do
  cp "$f" "$out/lib/"
  cp_line="$cp_line:$prefix/lib/$(basename "$f")"
done
# An argument file, not -cp on the command line: ONNX Runtime's set-up overflowed the stack when
# the JVM's command line carried a classpath of about 4 KB (see ./braid).
printf -- '-cp\n"%s"\n' "$cp_line" > "$out/java.args"
cat > "$out/bin/braid" <<LAUNCHER
#!/bin/sh
# Braid in the image: BRAID_JAVA_OPTS as for ./braid (default -Xmx4g); BRAID_HOME for the generated
# zoo (default /var/lib/braid).
exec java \${BRAID_JAVA_OPTS:--Xmx4g} --add-modules jdk.incubator.vector -Dbraid.home=\${BRAID_HOME:-/var/lib/braid} \\
  @$prefix/java.args dev.braid.coordinator.cli.BraidCli "\$@"
LAUNCHER
chmod +x "$out/bin/braid"
echo "assembled $(ls "$out/lib" | wc -l) jars under $out"
