package dev.braid.coordinator.admin;

import static dev.braid.coordinator.admin.FakeAdminBackend.BUSY_NODE;
import static dev.braid.coordinator.admin.FakeAdminBackend.COORDINATOR_NODE;
import static dev.braid.coordinator.admin.FakeAdminBackend.GPU_0;
import static dev.braid.coordinator.admin.FakeAdminBackend.GPU_1;
import static dev.braid.coordinator.admin.FakeAdminBackend.GPU_NODE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.admin.DrainNodeRequest;
import dev.braid.protocol.admin.DrainNodeResponse;
import dev.braid.protocol.admin.GpuModel;
import dev.braid.protocol.admin.GpuStatus;
import dev.braid.protocol.admin.ModelStatus;
import dev.braid.protocol.admin.NodeStatus;
import dev.braid.protocol.admin.SetPolicyRequest;
import dev.braid.protocol.admin.SetPolicyResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin service as an operator's gRPC client meets it: a real grpc-java server on an
 * ephemeral port over {@link FakeAdminBackend}, driven by a plain client of the generated stubs.
 */
class AdminServiceTest {
  static final FakeAdminBackend backend = new FakeAdminBackend();
  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new AdminService(backend)).build().start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @BeforeEach
  void reset() {
    FakeAdminBackend fresh = new FakeAdminBackend();
    backend.status = fresh.status;
    backend.drain = fresh.drain;
    backend.setPolicy = fresh.setPolicy;
    backend.calls.clear();
  }

  static BraidAdminGrpc.BraidAdminBlockingStub admin() {
    return BraidAdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  static StatusRuntimeException fails(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    return e;
  }

  /** The fields set (to a value other than the default) in at least one of {@code messages}. */
  static Set<String> fieldsSet(Collection<? extends Message> messages) {
    return messages.stream().flatMap(m -> m.getAllFields().keySet().stream()).map(FieldDescriptor::getName)
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** Every field the proto declares holds a value other than its default in one of {@code messages}. */
  static void everyFieldArrives(List<? extends Message> messages) {
    Descriptor type = messages.get(0).getDescriptorForType();
    Set<String> declared = type.getFields().stream().map(FieldDescriptor::getName)
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(declared, fieldsSet(messages), type.getName());
  }

  @Test
  void clusterStatusCarriesEveryFieldOfEveryMessage() {
    ClusterStatusResponse s = admin().clusterStatus(ClusterStatusRequest.getDefaultInstance());
    // A field added to the proto but not mapped from the coordinator's records fails here.
    everyFieldArrives(List.of(s));
    everyFieldArrives(s.getNodesList());
    everyFieldArrives(s.getGpusList());
    everyFieldArrives(s.getModelsList());
    everyFieldArrives(s.getGpus(0).getModelsList());

    assertEquals(COORDINATOR_NODE, s.getCoordinatorAddress());
    assertEquals(12, s.getTableVersion());
    assertEquals(NodeStatus.newBuilder().setAddress(GPU_NODE).setStatus("Up").addRoles("gpu")
        .setDrainState("draining").build(), s.getNodes(1));
    assertEquals(List.of("frontend", "coordinator"), s.getNodes(0).getRolesList());

    GpuStatus g = s.getGpus(0);
    assertEquals(GPU_0, g.getGpuId());
    assertEquals(GPU_NODE, g.getNodeAddress());
    assertEquals(0, g.getOrdinal());
    assertEquals("sim-h100", g.getDevice());
    assertEquals(80L << 30, g.getMemoryTotalBytes());
    assertEquals(12L << 30, g.getMemoryAllocatedBytes());
    assertEquals("space-time", g.getPolicy());
    assertEquals(7, g.getQueueDepth());
    assertEquals(12.5, g.getPredictedQueueMs(), 1e-9);
    assertEquals(0.625, g.getUtilisation(), 1e-9);
    assertEquals(0.9875, g.getSloAttainment(), 1e-9);
    assertEquals(1234, g.getCompleted());
    assertEquals(5, g.getFailed());
    assertEquals(2, g.getRestarts());
    assertFalse(g.getDraining());
    assertTrue(g.getHealthy());
    // Models by name, whatever the report's map order.
    assertEquals(List.of(
        GpuModel.newBuilder().setName("mlp").setVersion(1).setWeightsBytes(800_000).setRequestMs(0.25)
            .setMaxBatchSize(8).build(),
        GpuModel.newBuilder().setName("resnet18").setVersion(2).setWeightsBytes(46_800_000).setRequestMs(1.5)
            .setMaxBatchSize(16).build()), g.getModelsList());

    GpuStatus sick = s.getGpus(1);
    assertEquals(GPU_1, sick.getGpuId());
    assertEquals(1, sick.getOrdinal());
    assertTrue(sick.getDraining());
    assertFalse(sick.getHealthy());
    assertEquals("CUDA_ERROR_ECC_UNCORRECTABLE", sick.getUnhealthyReason());

    assertEquals(ModelStatus.newBuilder().setName("mlp").setVersion(1).setState("READY").addReplicaGpuIds(GPU_0)
        .addReplicaGpuIds(GPU_1).build(), s.getModels(0));
    assertEquals(ModelStatus.newBuilder().setName("bert").setState("UNAVAILABLE")
        .setReason("no GPU has 420 MiB free").build(), s.getModels(1));
  }

  @Test
  void drainOfAMemberAnswersSafeToRemove() {
    DrainNodeResponse r = admin().drainNode(DrainNodeRequest.newBuilder().setNodeAddress(GPU_NODE).build());
    assertEquals(GPU_NODE, r.getNodeAddress());
    assertTrue(r.getSafeToRemove());
    assertEquals("node " + GPU_NODE + " drained: 2 GPUs idle", r.getMessage());
    assertEquals(List.of("drain " + GPU_NODE), backend.calls);
  }

  @Test
  void drainRefusedForAnotherReasonIsAnsweredNotSafeWithTheReason() {
    DrainNodeResponse r = admin().drainNode(DrainNodeRequest.newBuilder().setNodeAddress(BUSY_NODE).build());
    assertFalse(r.getSafeToRemove());
    assertTrue(r.getMessage().contains("runs the coordinator"), r.getMessage());
  }

  @Test
  void drainOfAnUnknownNodeIsNotFoundWithTheCoordinatorsMessage() {
    String stranger = "pekko://braid@10.9.9.9:2552";
    StatusRuntimeException e = fails(Status.Code.NOT_FOUND,
        () -> admin().drainNode(DrainNodeRequest.newBuilder().setNodeAddress(stranger).build()));
    assertEquals("unknown node " + stranger, e.getStatus().getDescription());
  }

  @Test
  void drainWithoutAnAddressIsInvalidArgumentNamingTheFieldAndItsForm() {
    StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
        () -> admin().drainNode(DrainNodeRequest.getDefaultInstance()));
    String d = e.getStatus().getDescription();
    assertTrue(d.startsWith("node_address:") && d.contains("pekko://braid@host:port") && d.contains("got ''"), d);
    assertTrue(backend.calls.isEmpty(), backend.calls.toString());
  }

  @Test
  void drainOfAMalformedAddressIsInvalidArgumentQuotingIt() {
    for (String bad : List.of("10.0.0.2:2552", "pekko://braid@10.0.0.2", "akka://braid@10.0.0.2:2552")) {
      StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
          () -> admin().drainNode(DrainNodeRequest.newBuilder().setNodeAddress(bad).build()));
      assertTrue(e.getStatus().getDescription().contains("got '" + bad + "'"), e.getStatus().getDescription());
    }
    assertTrue(backend.calls.isEmpty());
  }

  @Test
  void aCoordinatorThatDoesNotAnswerInTimeIsUnavailable() {
    backend.status = () -> CompletableFuture.failedFuture(new TimeoutException("GetStatus: no answer within 5s"));
    StatusRuntimeException e = fails(Status.Code.UNAVAILABLE,
        () -> admin().clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    assertEquals("the coordinator did not answer ClusterStatus in time: GetStatus: no answer within 5s",
        e.getStatus().getDescription());
  }

  @Test
  void aFailingBackendIsUnavailableWithItsMessage() {
    backend.drain = address -> CompletableFuture.failedFuture(new IllegalStateException("no coordinator elected"));
    StatusRuntimeException e = fails(Status.Code.UNAVAILABLE,
        () -> admin().drainNode(DrainNodeRequest.newBuilder().setNodeAddress(GPU_NODE).build()));
    assertTrue(e.getStatus().getDescription().contains("DrainNode(" + GPU_NODE + ")")
        && e.getStatus().getDescription().contains("no coordinator elected"), e.getStatus().getDescription());

    // A backend that throws instead of failing its stage reads the same.
    backend.setPolicy = (gpu, policy) -> {
      throw new IllegalStateException("cluster not joined");
    };
    e = fails(Status.Code.UNAVAILABLE,
        () -> admin().setPolicy(SetPolicyRequest.newBuilder().setGpuId("*").setPolicy("fifo").build()));
    assertTrue(e.getStatus().getDescription().contains("cluster not joined"), e.getStatus().getDescription());
  }

  @Test
  void setPolicyAcceptedCarriesEachGpusAnswer() {
    SetPolicyResponse r = admin().setPolicy(SetPolicyRequest.newBuilder().setGpuId("*").setPolicy("fifo").build());
    assertTrue(r.getAccepted());
    assertEquals("policy fifo on 2 GPUs", r.getMessage());
    assertEquals(List.of(GPU_0, GPU_1), r.getResultsList().stream().map(x -> x.getGpuId()).toList());
    assertTrue(r.getResultsList().stream().allMatch(x -> x.getAccepted()));
    assertEquals(List.of("setPolicy * fifo"), backend.calls);
  }

  @Test
  void setPolicyRefusedIsInvalidArgumentWithTheCoordinatorsReason() {
    StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
        () -> admin().setPolicy(SetPolicyRequest.newBuilder().setGpuId(GPU_0).setPolicy("fastest").build()));
    assertEquals("policy 'fastest' refused by " + GPU_0 + ": valid policies are fifo, space-time",
        e.getStatus().getDescription());
  }

  @Test
  void setPolicyWithoutAGpuOrAPolicyIsInvalidArgumentNamingTheField() {
    StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT,
        () -> admin().setPolicy(SetPolicyRequest.newBuilder().setPolicy("fifo").build()));
    assertTrue(e.getStatus().getDescription().startsWith("gpu_id:"), e.getStatus().getDescription());
    e = fails(Status.Code.INVALID_ARGUMENT,
        () -> admin().setPolicy(SetPolicyRequest.newBuilder().setGpuId("*").build()));
    assertTrue(e.getStatus().getDescription().startsWith("policy:"), e.getStatus().getDescription());
    assertTrue(backend.calls.isEmpty(), backend.calls.toString());
  }
}
