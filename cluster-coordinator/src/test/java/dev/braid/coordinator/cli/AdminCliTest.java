package dev.braid.coordinator.cli;

import static dev.braid.coordinator.admin.FakeAdminBackend.BUSY_NODE;
import static dev.braid.coordinator.admin.FakeAdminBackend.GPU_0;
import static dev.braid.coordinator.admin.FakeAdminBackend.GPU_1;
import static dev.braid.coordinator.admin.FakeAdminBackend.GPU_NODE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.admin.AdminService;
import dev.braid.coordinator.admin.FakeAdminBackend;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code braid status} and {@code braid drain} through the CLI classes, in-process, against the
 * admin service on an ephemeral port over {@link FakeAdminBackend}.
 */
class AdminCliTest {
  static final FakeAdminBackend backend = new FakeAdminBackend();
  static Server server;
  static String port;

  record Result(int code, String out, String err) {}

  static Result braid(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = BraidCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new AdminService(backend)).build().start();
    port = String.valueOf(server.getPort());
  }

  @AfterAll
  static void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    FakeAdminBackend fresh = new FakeAdminBackend();
    backend.status = fresh.status;
    backend.drain = fresh.drain;
  }

  @Test
  void statusPrintsNodesGpusWithTheirNumbersAndModelsWithTheirPlacements() {
    Result r = braid("status", "--port", port);
    assertEquals(0, r.code(), r.err());
    String out = r.out();
    assertTrue(out.contains("coordinator pekko://braid@10.0.0.1:2552, routing table version 12"), out);
    assertTrue(out.contains("2 nodes, 2 GPUs, 2 models"), out);
    assertTrue(line(out, "pekko://braid@10.0.0.1:2552  Up").matches(".*Up\\s+frontend,coordinator\\s+-"), out);
    assertTrue(line(out, GPU_NODE + "  Up").matches(".*Up\\s+gpu\\s+draining"), out);
    String gpu0 = line(out, GPU_0 + "  ");
    for (String cell : new String[] {"sim-h100", "12.0 GiB / 80.0 GiB", "space-time", "  7  ", "12.5", "62.5%",
        "98.8%", "1234", "  5  ", "serving", "mlp v1,resnet18 v2"}) {
      assertTrue(gpu0.contains(cell), "'" + cell + "' missing from: " + gpu0);
    }
    assertTrue(line(out, GPU_1 + "  ").contains("UNHEALTHY"), out);
    assertTrue(out.contains(GPU_1 + " is unhealthy: CUDA_ERROR_ECC_UNCORRECTABLE"), out);
    assertTrue(row(out, "mlp").matches("\\s*mlp\\s+1\\s+READY\\s+" + GPU_0 + "," + GPU_1 + "\\s+-"), out);
    assertTrue(row(out, "bert").matches("\\s*bert\\s+-\\s+UNAVAILABLE\\s+-\\s+no GPU has 420 MiB free"), out);
  }

  @Test
  void statusWhenTheCoordinatorDoesNotAnswerSaysSoAndExitsOne() {
    backend.status = () -> CompletableFuture.failedFuture(new TimeoutException("no answer within 5s"));
    Result r = braid("status", "--port", port);
    assertEquals(1, r.code());
    assertEquals("braid status: UNAVAILABLE: the coordinator did not answer ClusterStatus in time: no answer within 5s",
        r.err().strip());
  }

  @Test
  void drainOfAMemberSaysSafeToRemoveAndExitsZero() {
    Result r = braid("drain", GPU_NODE, "--port", port);
    assertEquals(0, r.code(), r.err());
    assertEquals(GPU_NODE + " is drained: safe to remove", r.out().strip());
  }

  @Test
  void drainThatIsRefusedPrintsTheReasonAndExitsOne() {
    Result r = braid("drain", BUSY_NODE, "--port", port);
    assertEquals(1, r.code());
    assertEquals("node " + BUSY_NODE + " cannot be drained: it runs the coordinator", r.out().strip());
  }

  @Test
  void drainOfAnUnknownNodeIsNotFoundAndExitsOne() {
    Result r = braid("drain", "pekko://braid@10.9.9.9:2552", "--port", port);
    assertEquals(1, r.code());
    assertEquals("braid drain: NOT_FOUND: unknown node pekko://braid@10.9.9.9:2552", r.err().strip());
  }

  @Test
  void drainOfAMalformedAddressIsAUsageError() {
    Result r = braid("drain", "10.0.0.2:2552", "--port", port);
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertEquals("braid drain: error: node_address: expected a cluster address \"pekko://braid@host:port\", "
        + "got '10.0.0.2:2552'", r.err().strip());
  }

  @Test
  void drainThatOutlastsTheTimeoutSaysItMayStillBeDraining() {
    backend.drain = address -> new CompletableFuture<>(); // never answers
    Result r = braid("drain", GPU_NODE, "--port", port, "--timeout", "200ms");
    assertEquals(1, r.code());
    assertEquals("braid drain: " + GPU_NODE + " was not drained within 200ms; it may still be draining "
        + "(see braid status)", r.err().strip());
  }

  @Test
  void withoutAServerBothSayTheyCannotReachItAndExitOne() throws Exception {
    int free;
    try (ServerSocket s = new ServerSocket(0)) {
      free = s.getLocalPort();
    }
    for (String[] args : new String[][] {{"status", "--port", "" + free}, {"drain", GPU_NODE, "--port", "" + free}}) {
      Result r = braid(args);
      assertEquals(1, r.code(), r.err());
      assertTrue(r.err().startsWith("braid " + args[0] + ": cannot reach braid at 127.0.0.1:" + free + ": UNAVAILABLE"),
          r.err());
      assertEquals(1, r.err().lines().count(), r.err());
    }
  }

  @Test
  void badFlagsAreUsageErrorsNamingTheFlagAndTheValue() {
    Result r = braid("drain", GPU_NODE, "--port", port, "--timeout", "soon");
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertEquals("braid drain: error: --timeout: expected a duration > 0 such as 500ms, 120s or 2m, got 'soon'",
        r.err().strip());
    r = braid("status", "--port", "0");
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertEquals("braid status: error: --port: expected an integer in 1..65535, got 0", r.err().strip());
  }

  @Test
  void helpListsStatusAndDrain() {
    Result r = braid("--help");
    assertTrue(r.out().contains("  status ") && r.out().contains("  drain "), r.out());
  }

  /** The table row of {@code out} whose first cell is {@code firstCell}. */
  static String row(String out, String firstCell) {
    return out.lines().filter(l -> l.strip().startsWith(firstCell + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("no row '" + firstCell + "' in:\n" + out));
  }

  /** The first line of {@code out} that contains {@code text}. */
  static String line(String out, String text) {
    return out.lines().filter(l -> l.contains(text)).findFirst()
        .orElseThrow(() -> new AssertionError("no line with '" + text + "' in:\n" + out));
  }
}
