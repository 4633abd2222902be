package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.engine.ZooExtension;
import dev.braid.gpu.engine.ZooFixture;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every message the GPU actor receives or sends goes through the actor system's serialization
 * (Kryo, Java serialization off), as it would over remoting: a message that does not survive is
 * dropped with an error, and its probe times out. The actor's private messages to itself (nested
 * in {@code GpuActor} and its helpers) are exempt: they never leave the node.
 */
class GpuActorWireTest {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String NODE = "pekko://braid@10.0.0.7:25520";
  static final String GPU = GpuWire.gpuId(NODE, 1);
  static final ActorTestKit kit = ActorTestKit.create("wire", ConfigFactory.parseString("""
      pekko.actor.serialize-messages = on
      pekko.actor.no-serialization-verification-needed-class-prefix = ["org.apache.pekko.", "dev.braid.gpu."]
      """).withFallback(ConfigFactory.load()));
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp");

  @AfterAll
  static void close() {
    kit.shutdownTestKit();
  }

  @Test
  void everyMessageOfTheConversationSurvivesSerialization() {
    TestProbe<Object> control = kit.createTestProbe();
    // The check is on: a message with no serializer but Java's is dropped (Pekko skips java.lang.*).
    control.ref().tell(new ArrayList<>(List.of("dropped")));
    control.expectNoMessage(Duration.ofMillis(200));
    ActorRef<GpuWire.Command> gpu = kit.spawn(GpuActor.create(NODE, 1, () -> new CpuDevice(2),
        GpuSettings.defaults(), ModelRepository.open(ZOO.repo())));

    TestProbe<GpuWire.LoadReply> load = kit.createTestProbe();
    gpu.tell(new GpuWire.Load("mlp", load.ref()));
    GpuWire.Loaded loaded = assertInstanceOf(GpuWire.Loaded.class, load.receiveMessage(WAIT));
    assertEquals("mlp", loaded.model());
    gpu.tell(new GpuWire.Load("vgg", load.ref()));
    assertEquals("vgg", assertInstanceOf(GpuWire.LoadFailed.class, load.receiveMessage(WAIT)).model());

    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    Map<String, Tensor> in = ZOO.zoo().inputs("mlp", 2, 9);
    gpu.tell(new InferenceWire.Infer("r-1", "mlp", "1", in, Duration.ofSeconds(30), 0, "t", replies.ref()));
    InferenceWire.Completed done = assertInstanceOf(InferenceWire.Completed.class, replies.receiveMessage(WAIT));
    assertEquals("r-1", done.requestId());
    ZooFixture.assertClose(ZOO.zoo().alone("mlp", in), done.outputs(), "outputs after the wire");
    gpu.tell(new InferenceWire.Infer("r-2", "mlp", "3", in, Duration.ofSeconds(30), 0, "t", replies.ref()));
    assertEquals(FailureReason.UNKNOWN_MODEL,
        assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT)).reason());

    TestProbe<GpuWire.Report> report = kit.createTestProbe();
    gpu.tell(new GpuWire.GetReport(report.ref()));
    GpuWire.Report r = report.receiveMessage(WAIT);
    assertEquals(GPU, r.gpu());
    GpuWire.ModelInfo before = loaded.info();
    assertEquals(new GpuWire.ModelInfo(before.name(), before.version(), before.weightsBytes(), before.requestNanos(),
        before.maxBatchSize(), 1), r.models().get("mlp"), "nothing learned yet: the same prediction; one request counted"
        + " (the one for version 3 named a version it does not hold)");

    TestProbe<GpuWire.PolicyReply> policy = kit.createTestProbe();
    gpu.tell(new GpuWire.SetPolicy("fifo", policy.ref()));
    assertTrue(policy.receiveMessage(WAIT).accepted());
    gpu.tell(new GpuWire.SetPolicy("lottery", policy.ref()));
    assertFalse(policy.receiveMessage(WAIT).accepted());

    TestProbe<GpuWire.Unloaded> unloaded = kit.createTestProbe();
    gpu.tell(new GpuWire.Unload("mlp", unloaded.ref()));
    assertEquals(new GpuWire.Unloaded(GPU, "mlp", true), unloaded.receiveMessage(WAIT));

    TestProbe<GpuWire.Drained> drained = kit.createTestProbe();
    gpu.tell(new GpuWire.Drain(drained.ref()));
    assertEquals(new GpuWire.Drained(GPU), drained.receiveMessage(WAIT));
    gpu.tell(new InferenceWire.Infer("r-3", "mlp", "", in, Duration.ofSeconds(30), 0, "t", replies.ref()));
    assertEquals(FailureReason.DRAINING,
        assertInstanceOf(InferenceWire.Failed.class, replies.receiveMessage(WAIT)).reason());
    kit.stop(gpu);
  }
}
