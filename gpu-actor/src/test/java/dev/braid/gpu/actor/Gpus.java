package dev.braid.gpu.actor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.braid.time.NanoClock;
import dev.braid.device.Device;
import dev.braid.gpu.GpuActor;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.Tensor;
import dev.braid.model.repo.RepositoryModel;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.FailureReason;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/** Spawning a GPU actor over in-memory models, and speaking the cluster protocol to it, for the tests. */
final class Gpus {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final String NODE = "pekko://braid@10.0.0.7:25520";
  static final String GPU = GpuWire.gpuId(NODE, 0);

  private Gpus() {}

  /** GPU 0 of {@link #NODE} whose repository holds {@code models} (a missing name fails as the repository's would). */
  static ActorRef<GpuWire.Command> spawn(ActorTestKit kit, Supplier<Device> device, GpuSettings settings,
      Map<String, RepositoryModel> models) {
    return kit.spawn(GpuActor.create(NODE, 0, device, settings, name -> {
      RepositoryModel m = models.get(name);
      if (m == null) {
        throw new IllegalArgumentException("model '" + name + "' not found; available models: " + models.keySet());
      }
      return m;
    }, NanoClock.system()));
  }

  static GpuWire.LoadReply loadReply(ActorTestKit kit, ActorRef<GpuWire.Command> gpu, String model) {
    TestProbe<GpuWire.LoadReply> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.Load(model, probe.ref()));
    return probe.receiveMessage(WAIT);
  }

  static GpuWire.ModelInfo load(ActorTestKit kit, ActorRef<GpuWire.Command> gpu, String model) {
    GpuWire.LoadReply r = loadReply(kit, gpu, model);
    GpuWire.Loaded loaded = assertInstanceOf(GpuWire.Loaded.class, r, r.toString());
    assertEquals(model, loaded.model());
    return loaded.info();
  }

  static GpuWire.LoadFailed loadFails(ActorTestKit kit, ActorRef<GpuWire.Command> gpu, String model) {
    GpuWire.LoadReply r = loadReply(kit, gpu, model);
    return assertInstanceOf(GpuWire.LoadFailed.class, r, r.toString());
  }

  static InferenceWire.Infer infer(String id, String model, Map<String, Tensor> inputs, Duration budget,
      ActorRef<InferenceWire.Reply> replyTo) {
    return new InferenceWire.Infer(id, model, "", inputs, budget, 0, "tenant-a", replyTo);
  }

  static InferenceWire.Completed completed(TestProbe<InferenceWire.Reply> replies) {
    InferenceWire.Reply r = replies.receiveMessage(WAIT);
    return assertInstanceOf(InferenceWire.Completed.class, r, r.toString());
  }

  static InferenceWire.Failed failed(TestProbe<InferenceWire.Reply> replies, FailureReason reason) {
    InferenceWire.Reply r = replies.receiveMessage(WAIT);
    InferenceWire.Failed f = assertInstanceOf(InferenceWire.Failed.class, r, r.toString());
    assertEquals(reason, f.reason(), f.message());
    return f;
  }

  static GpuWire.Report report(ActorTestKit kit, ActorRef<GpuWire.Command> gpu) {
    TestProbe<GpuWire.Report> probe = kit.createTestProbe();
    gpu.tell(new GpuWire.GetReport(probe.ref()));
    return probe.receiveMessage(WAIT);
  }
}
