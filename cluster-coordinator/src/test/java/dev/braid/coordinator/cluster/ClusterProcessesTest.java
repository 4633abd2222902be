package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Braid as operators run it: separate JVMs on loopback, joined into one Pekko cluster over Artery,
 * called over gRPC. A frontend-coordinator node and two GPU nodes (CPU devices) serve the zoo's
 * mlp; under load a fourth node joins and takes replicas, then one GPU node is killed with
 * SIGKILL. Every request sent must end in a correct result or an explicit gRPC error (never a
 * wrong result, never silence), and the cluster must serve every request again within seconds of
 * the kill.
 *
 * <p>The JVMs are small (96 MiB heaps, one compute thread each) because they share two cores with
 * this test; placement is set to want a replica per GPU at this test's modest load, so that the
 * killed node's model also serves elsewhere.
 */
class ClusterProcessesTest {
  private static final String MODEL = "mlp";
  private static final Duration REQUEST_DEADLINE = Duration.ofSeconds(8);

  @TempDir Path dir;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private ManagedChannel channel;

  /** One Braid JVM and its log. */
  static final class NodeProcess {
    final String name;
    final Process process;
    final Path log;

    NodeProcess(String name, Process process, Path log) {
      this.name = name;
      this.process = process;
      this.log = log;
    }

    String logText() {
      try {
        return Files.readString(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    /** The first group of {@code pattern} in the log, waiting up to {@code timeout}. */
    String await(Pattern pattern, Duration timeout) throws InterruptedException {
      long giveUp = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < giveUp) {
        Matcher m = pattern.matcher(logText());
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : m.group();
        }
        if (!process.isAlive()) {
          fail("node " + name + " exited with " + process.exitValue() + " before printing " + pattern + ":\n"
              + logText());
        }
        Thread.sleep(100);
      }
      throw new AssertionError("node " + name + " did not print " + pattern + " within " + timeout + ":\n"
          + logText());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private NodeProcess startNode(String name, Path repo, List<String> jvmProps, String... args) throws IOException {
    Path argfile = dir.resolve(name + ".args");
    // An argument file keeps the long test classpath off the command line.
    Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx96m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
        "-Dbraid.coordinator.report-interval=250ms",
        "-Dbraid.coordinator.rate-half-life=1s",
        "-Dbraid.coordinator.placement.reserve-per-gpu=4MiB",
        "-Dpekko.cluster.split-brain-resolver.stable-after=3s",
        "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=4s"));
    cmd.addAll(jvmProps);
    cmd.add("@" + argfile);
    cmd.add("dev.braid.coordinator.cli.BraidCli");
    cmd.add("serve");
    cmd.addAll(List.of("--repo", repo.toString(), "--cluster-host", "127.0.0.1", "--device", "cpu", "--threads", "1"));
    cmd.addAll(List.of("--metrics-port", "0")); // several nodes on this host: 8002 would be taken
    cmd.addAll(List.of(args));
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    NodeProcess node = new NodeProcess(name, p, log);
    nodes.add(node);
    return node;
  }

  @AfterEach
  void stopAll() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (NodeProcess n : nodes) {
      n.process.destroyForcibly();
    }
    for (NodeProcess n : nodes) {
      n.process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  // ---- the client: generated stubs only ----

  private static float[] input(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] v = new float[784];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return v;
  }

  private static ModelInferRequest request(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return ModelInferRequest.newBuilder().setModelName(MODEL)
        .putParameters("braid.deadline_ms", InferParameter.newBuilder().setInt64Param(REQUEST_DEADLINE.toMillis()).build())
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32").addShape(1)
            .addShape(784))
        .addRawInputContents(ByteString.copyFrom(b.array())).build();
  }

  private static float[] floats(ByteString raw) {
    float[] v = new float[raw.size() / 4];
    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
    return v;
  }

  /** Outcomes of the load, by kind; "WRONG" and "SILENT" must stay zero. */
  private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
  private final AtomicLong lastSuccessNanos = new AtomicLong();
  private final Map<String, String> firstMessage = new ConcurrentHashMap<>();
  private final AtomicLong killedAtNanos = new AtomicLong();
  private final AtomicLong longestGapAfterKill = new AtomicLong();

  private Map<String, Long> snapshot() {
    Map<String, Long> m = new java.util.TreeMap<>();
    outcomes.forEach((k, v) -> m.put(k, v.get()));
    return m;
  }

  private Map<String, Long> delta(Map<String, Long> before) {
    Map<String, Long> m = snapshot();
    m.replaceAll((k, v) -> v - before.getOrDefault(k, 0L));
    return m;
  }

  private void count(String kind) {
    outcomes.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  private long count(String kind, long dflt) {
    AtomicLong a = outcomes.get(kind);
    return a == null ? dflt : a.get();
  }

  @Test
  void nodesJoinAndDieUnderLoadAndEveryRequestIsAnswered() throws Exception {
    Path repo = dir.resolve("repo");
    ModelZoo.generate(repo, ZooOptions.defaults().withModels(MODEL));
    float[][] inputs = new float[8][];
    float[][] expected = new float[8][];
    try (CpuDevice dev = new CpuDevice(1);
        CompiledModel m = ModelExecutor.compile(ModelRepository.open(repo).load(MODEL).latest().bind(1), dev)) {
      for (int i = 0; i < inputs.length; i++) {
        inputs[i] = input(i);
        expected[i] = m.run(Map.of("input", Tensor.ofFloats(Shape.of(1, 784), inputs[i]))).toCompletableFuture().get()
            .get("logits").floats();
      }
    }

    int seedPort = freePort();
    int grpcPort = freePort();
    NodeProcess a = startNode("a", repo, List.of(
            // Want a replica per GPU at this test's load, and move replicas at small imbalances.
            "-Dbraid.coordinator.placement.target-utilisation=0.002",
            "-Dbraid.coordinator.placement.rebalance-threshold=0.001"),
        "--role", "frontend,coordinator", "--cluster-port", String.valueOf(seedPort),
        "--grpc-port", String.valueOf(grpcPort), "--http-port", "0");
    a.await(Pattern.compile("serving gRPC on :(\\d+)"), Duration.ofSeconds(90));
    String seed = "127.0.0.1:" + seedPort;
    NodeProcess b = startNode("b", repo, List.of(), "--role", "gpu", "--seed", seed, "--cluster-port", "0");
    NodeProcess c = startNode("c", repo, List.of(), "--role", "gpu", "--seed", seed, "--cluster-port", "0");
    String addressB = b.await(Pattern.compile("serving as gpu node (\\S+)"), Duration.ofSeconds(90));
    c.await(Pattern.compile("serving as gpu node (\\S+)"), Duration.ofSeconds(90));

    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    BraidAdminGrpc.BraidAdminBlockingStub admin = BraidAdminGrpc.newBlockingStub(channel);
    awaitTrue("the model serves", Duration.ofSeconds(60), () -> !replicas(admin).isEmpty());

    // Load: four clients in closed loops, every answer checked.
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> clients = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        long n = 0;
        while (running.get()) {
          int k = (int) ((id * 7919L + n++) % inputs.length);
          try {
            ModelInferResponse r = stub.withDeadlineAfter(REQUEST_DEADLINE.toMillis() + 7000, TimeUnit.MILLISECONDS)
                .modelInfer(request(inputs[k]));
            float[] got = floats(r.getRawOutputContents(0));
            boolean ok = got.length == expected[k].length;
            for (int i = 0; ok && i < got.length; i++) {
              ok = Math.abs(got[i] - expected[k][i]) <= 1e-5 + 1e-4 * Math.abs(expected[k][i]);
            }
            count(ok ? "OK" : "WRONG");
            if (ok) {
              long now = System.nanoTime();
              long before = lastSuccessNanos.getAndSet(now);
              if (killedAtNanos.get() != 0 && before != 0) {
                longestGapAfterKill.accumulateAndGet(now - Math.max(before, killedAtNanos.get()), Math::max);
              }
            }
          } catch (StatusRuntimeException e) {
            // A client-side expiry means the server never answered: that is the failure this test hunts.
            boolean serverAnswered = !(e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
                && String.valueOf(e.getStatus().getDescription()).startsWith("ClientCall"));
            String kind = serverAnswered ? e.getStatus().getCode().name() : "SILENT";
            count(kind);
            firstMessage.putIfAbsent(kind, String.valueOf(e.getStatus().getDescription()));
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE || e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
              try {
                Thread.sleep(20);
              } catch (InterruptedException ie) {
                return;
              }
            }
          }
        }
      }, "client-" + t);
      th.start();
      clients.add(th);
    }
    try {
      awaitTrue("requests succeed under load", Duration.ofSeconds(30), () -> count("OK", 0) > 50);
      // Its load makes the coordinator want more replicas than one GPU.
      awaitTrue("the model serves on both GPU nodes under load", Duration.ofSeconds(30),
          () -> replicas(admin).size() == 2);

      // A fourth node joins under load and takes a replica.
      NodeProcess d = startNode("d", repo, List.of(), "--role", "gpu", "--seed", seed, "--cluster-port", "0");
      String addressD = d.await(Pattern.compile("serving as gpu node (\\S+)"), Duration.ofSeconds(90));
      awaitTrue("the joining node takes a replica", Duration.ofSeconds(60),
          () -> replicas(admin).stream().anyMatch(g -> g.startsWith(addressD + "#")));

      // One GPU node dies.
      long okBeforeKill = count("OK", 0);
      killedAtNanos.set(System.nanoTime());
      b.process.destroyForcibly();
      b.process.waitFor(10, TimeUnit.SECONDS);
      awaitTrue("the dead node leaves the placement", Duration.ofSeconds(60),
          () -> replicas(admin).stream().noneMatch(g -> g.startsWith(addressB + "#")));
      // Serving again: a run of successes after the kill.
      long okAfter = count("OK", 0);
      awaitTrue("the cluster serves again", Duration.ofSeconds(30), () -> count("OK", 0) > okAfter + 50);
      System.out.printf("correct answers before the kill: %d; outcomes: %s; longest time without a correct answer "
          + "after the kill: %.1f s; first message of each error: %s%n", okBeforeKill, outcomes,
          longestGapAfterKill.get() / 1e9, firstMessage);

      // Another GPU node leaves gracefully (SIGTERM): it finishes what it holds, the rest serve on.
      // (Once the dead one is out of the membership: a leave completes only when every member is
      // reachable or downed.)
      awaitTrue("the dead node is removed from the cluster", Duration.ofSeconds(60),
          () -> admin.withDeadlineAfter(5, TimeUnit.SECONDS).clusterStatus(ClusterStatusRequest.getDefaultInstance())
              .getNodesList().stream().noneMatch(n -> n.getAddress().equals(addressB)));
      Map<String, Long> before = snapshot();
      c.process.destroy();
      assertTrue(c.process.waitFor(60, TimeUnit.SECONDS), "node c stops within a minute of SIGTERM:\n" + c.logText());
      assertTrue(c.logText().contains("drained") && c.logText().contains("stopped"), c.logText());
      long okAfterLeave = count("OK", 0);
      awaitTrue("the cluster serves after a node left", Duration.ofSeconds(30),
          () -> count("OK", 0) > okAfterLeave + 50);
      System.out.printf("outcomes while node c left gracefully: %s%n", delta(before));
    } finally {
      running.set(false);
      for (Thread th : clients) {
        th.join(30_000);
      }
    }
    assertEquals(0, count("WRONG", 0), "wrong results: " + outcomes);
    assertEquals(0, count("SILENT", 0), "requests the cluster never answered: " + outcomes);
    for (String kind : outcomes.keySet()) {
      assertTrue(List.of("OK", "UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED").contains(kind),
          "unexpected outcome " + kind + ": " + outcomes);
    }
  }

  /** The GPU ids serving the model, from the admin service. */
  private static List<String> replicas(BraidAdminGrpc.BraidAdminBlockingStub admin) {
    ClusterStatusResponse s = admin.withDeadlineAfter(5, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
    return s.getModelsList().stream().filter(m -> m.getName().equals(MODEL)).findFirst()
        .map(m -> List.copyOf(m.getReplicaGpuIdsList())).orElse(List.of());
  }

  private void awaitTrue(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long giveUp = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < giveUp) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (StatusRuntimeException e) {
        // the admin call failed (a node is starting): ask again
      }
      Thread.sleep(100);
    }
    StringBuilder logs = new StringBuilder();
    for (NodeProcess n : nodes) {
      String text = n.logText();
      logs.append("\n--- node ").append(n.name).append(" ---\n")
          .append(text.length() > 6000 ? text.substring(text.length() - 6000) : text);
    }
    fail(what + ": not within " + timeout + "; outcomes " + outcomes + logs);
  }
}
