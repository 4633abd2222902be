package dev.braid.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GPU node paused (SIGSTOP) under load, on two JVMs: a pause shorter than the failure detector's
 * allowance costs nothing; a pause past the downing time gets the node downed by the other, and
 * once resumed (SIGCONT) it must notice, launch nothing more, say why and exit with code 3. What
 * each node did is read from its event stream ({@code --events}).
 */
class NodePauseProcessTest {
  private static final Pattern LINE = Pattern.compile("\\{\"t_ms\":(\\d+),\"node\":\"([^\"]*)\",\"event\":\"([^\"]*)\"(.*)}");

  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();
  private ManagedChannel channel;

  /** One line of an event stream. */
  record Event(long tMs, String node, String kind, String rest) {}

  static List<Event> events(Path file) throws IOException {
    List<Event> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      Matcher m = LINE.matcher(line);
      if (m.matches()) { // a torn last line is skipped
        out.add(new Event(Long.parseLong(m.group(1)), m.group(2), m.group(3), m.group(4)));
      }
    }
    return out;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Process start(String name, Path repo, String... args) throws IOException {
    Path argfile = dir.resolve(name + ".args");
    Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx96m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1",
        "-Dbraid.coordinator.report-interval=250ms",
        "-Dpekko.cluster.split-brain-resolver.stable-after=3s",
        "-Dpekko.cluster.failure-detector.acceptable-heartbeat-pause=4s",
        "@" + argfile, "dev.braid.coordinator.cli.BraidCli", "serve",
        "--repo", repo.toString(), "--cluster-host", "127.0.0.1", "--device", "cpu", "--threads", "1",
        "--metrics-port", "-1", "--events", dir.resolve(name + ".events").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
    processes.add(p);
    return p;
  }

  private String log(String name) {
    try {
      return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void signal(Process p, String sig) throws Exception {
    assertEquals(0, new ProcessBuilder("kill", "-" + sig, String.valueOf(p.pid())).start().waitFor());
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Process p : processes) {
      if (p.isAlive()) {
        new ProcessBuilder("kill", "-CONT", String.valueOf(p.pid())).start().waitFor(); // a stopped JVM cannot die
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static ModelInferRequest request(String id) {
    byte[] zeros = new byte[784 * 4];
    return ModelInferRequest.newBuilder().setModelName("mlp").setId(id)
        .putParameters("braid.deadline_ms", InferParameter.newBuilder().setInt64Param(4000).build())
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32").addShape(1)
            .addShape(784))
        .addRawInputContents(ByteString.copyFrom(zeros)).build();
  }

  @Test
  void aNodeDownedWhilePausedLaunchesNothingAfterItResumesAndExits() throws Exception {
    Path repo = dir.resolve("repo");
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    int seedPort = freePort();
    int grpcPort = freePort();
    Process a = start("a", repo, "--role", "frontend,coordinator", "--cluster-port", String.valueOf(seedPort),
        "--grpc-port", String.valueOf(grpcPort), "--http-port", "0");
    Process b = start("b", repo, "--role", "gpu", "--seed", "127.0.0.1:" + seedPort, "--cluster-port", "0");
    awaitTrue("node b serves", Duration.ofSeconds(120), () -> log("b").contains("serving as gpu node"), a, b);
    awaitTrue("node a serves", Duration.ofSeconds(120), () -> log("a").contains("serving gRPC on"), a, b);

    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong ok = new AtomicLong();
    Thread client = new Thread(() -> {
      for (long n = 0; running.get(); n++) {
        try {
          stub.withDeadlineAfter(6, TimeUnit.SECONDS).modelInfer(request("r-" + n));
          ok.incrementAndGet();
        } catch (StatusRuntimeException e) {
          try {
            Thread.sleep(20);
          } catch (InterruptedException ie) {
            return;
          }
        }
      }
    }, "client");
    client.start();
    try {
      awaitTrue("requests succeed", Duration.ofSeconds(60), () -> ok.get() > 20, a, b);

      // A pause within the failure detector's allowance: nothing happens.
      signal(b, "STOP");
      Thread.sleep(1500);
      signal(b, "CONT");
      long okAfterShort = ok.get();
      awaitTrue("b serves again after a short pause", Duration.ofSeconds(20), () -> ok.get() > okAfterShort + 20, a, b);
      assertTrue(b.isAlive(), log("b"));
      assertFalse(events(dir.resolve("a.events")).stream().anyMatch(e -> e.kind().equals("member-removed")),
          "a short pause downed nobody");

      // A pause past the downing time: a downs b; b, resumed, must launch nothing and leave.
      signal(b, "STOP");
      long stoppedMs = System.currentTimeMillis(); // b stamps nothing from here until SIGCONT
      awaitTrue("a removes the paused b", Duration.ofSeconds(60), () -> events(dir.resolve("a.events")).stream()
          .anyMatch(e -> e.kind().equals("member-removed")), a);
      Thread.sleep(1000); // requests for b meanwhile are answered elsewhere or fail: none may run on b later
      long resumedMs = System.currentTimeMillis();
      signal(b, "CONT");
      assertTrue(b.waitFor(30, TimeUnit.SECONDS), "b exits within 30 s of resuming:\n" + log("b"));
      assertEquals(3, b.exitValue(), "exit code of a node that left the cluster:\n" + log("b"));
      assertTrue(log("b").contains("was paused for"), "b says why it left:\n" + log("b"));

      List<Event> bEvents = events(dir.resolve("b.events"));
      List<Event> late = bEvents.stream().filter(e -> e.kind().equals("executed") && e.tMs() >= stoppedMs).toList();
      assertEquals(List.of(), late, "launches on b after it was paused and downed (stopped at " + stoppedMs
          + ", resumed at " + resumedMs + ")");
      assertTrue(bEvents.stream().anyMatch(e -> e.kind().equals("executed") && e.tMs() < stoppedMs),
          "b launched requests before the pause: " + bEvents);
      assertTrue(bEvents.stream().anyMatch(e -> e.kind().equals("self-downed") && e.tMs() >= resumedMs), "" + bEvents);
      assertTrue(bEvents.stream().anyMatch(e -> e.kind().equals("exiting") && e.rest().contains("\"fenced\"")),
          "" + bEvents);
      List<Event> aEvents = events(dir.resolve("a.events"));
      assertTrue(aEvents.stream().anyMatch(e -> e.kind().equals("coordinator-started")), "" + aEvents);
      assertTrue(aEvents.stream().anyMatch(e -> e.kind().equals("placement") && e.rest().contains("mlp")),
          "" + aEvents);
      assertTrue(aEvents.stream().anyMatch(e -> e.kind().equals("member-unreachable")), "" + aEvents);
      System.out.printf("b: paused at %d, downed by a at %d, resumed at %d; events of b after resuming: %s%n",
          stoppedMs, aEvents.stream().filter(e -> e.kind().equals("member-removed")).findFirst().get().tMs(),
          resumedMs, bEvents.stream().filter(e -> e.tMs() >= resumedMs).toList());
    } finally {
      running.set(false);
      client.join(30_000);
    }
  }

  private void awaitTrue(String what, Duration timeout, Check condition, Process... alive) throws Exception {
    long giveUp = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < giveUp) {
      if (condition.holds()) {
        return;
      }
      for (Process p : alive) {
        if (!p.isAlive()) {
          throw new AssertionError(what + ": a node exited (" + p.exitValue() + ")\n--- a ---\n" + log("a")
              + "\n--- b ---\n" + log("b"));
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError(what + ": not within " + timeout + "\n--- a ---\n" + log("a") + "\n--- b ---\n" + log("b"));
  }

  /** A condition that may read files. */
  interface Check {
    boolean holds() throws Exception;
  }
}
