package dev.braid.gpu.actor;

import static dev.braid.gpu.actor.Gpus.completed;
import static dev.braid.gpu.actor.Gpus.failed;
import static dev.braid.gpu.actor.Gpus.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.Device;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.EngineListeners;
import dev.braid.gpu.GpuSettings;
import dev.braid.gpu.NodeFence;
import dev.braid.gpu.engine.EngineListener;
import dev.braid.gpu.engine.ZooExtension;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.protocol.cluster.GpuWire;
import dev.braid.protocol.cluster.InferenceWire;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A GPU actor drops a request its frontend cancels before it runs, and does no work once the node
 * fence closed (the node was downed, or paused past the downing time): launches counted per client
 * request id through the engine listener.
 */
class GpuActorCancelAndFenceTest {
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("mlp");
  private final ActorTestKit kit = ActorTestKit.create();
  private final Map<String, Integer> launches = new ConcurrentHashMap<>();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private ActorRef<GpuWire.Command> spawn() {
    EngineListener counting = new EngineListener() {
      @Override
      public void requestLaunched(String model, String requestId) {
        launches.merge(requestId, 1, Integer::sum);
      }
    };
    ActorRef<GpuWire.Command> gpu = Gpus.spawn(kit, () -> {
      Device d = new CpuDevice(1);
      EngineListeners.get(kit.system()).bind(d, counting);
      return d;
    }, GpuSettings.defaults(), ZOO.zoo().models);
    load(kit, gpu, "mlp");
    return gpu;
  }

  private static InferenceWire.Infer infer(String id, ActorRef<InferenceWire.Reply> replies) {
    return new InferenceWire.Infer(id + "#1", "mlp", "", ZOO.zoo().inputs("mlp", 1, id.hashCode()),
        Duration.ofSeconds(30), 0, "t", replies, id);
  }

  @Test
  void aRequestCancelledBeforeItRunsIsAnsweredCancelledAndNeverLaunched() {
    ActorRef<GpuWire.Command> gpu = spawn();
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("gone", replies.ref()));
    gpu.tell(new InferenceWire.Cancel("gone#1")); // right behind it: still in its batcher
    InferenceWire.Failed f = failed(replies, FailureReason.CANCELLED);
    assertEquals("gone#1", f.requestId());
    gpu.tell(new InferenceWire.Cancel("never-sent#1")); // unknown: ignored
    gpu.tell(infer("kept", replies.ref()));
    assertEquals("kept#1", completed(replies).requestId());
    replies.expectNoMessage(Duration.ofMillis(200));
    assertEquals(Map.of("kept", 1), launches);
  }

  @Test
  void onceTheNodeFenceClosesItRefusesRequestsNamingWhyAndLaunchesNothing() {
    ActorRef<GpuWire.Command> gpu = spawn();
    TestProbe<InferenceWire.Reply> replies = kit.createTestProbe();
    gpu.tell(infer("before", replies.ref()));
    completed(replies);
    NodeFence.get(kit.system()).close("this node was downed");
    gpu.tell(infer("after", replies.ref()));
    InferenceWire.Failed f = failed(replies, FailureReason.DRAINING);
    assertTrue(f.message().contains("this node was downed"), f.message());
    replies.expectNoMessage(Duration.ofMillis(200));
    assertEquals(Map.of("before", 1), launches);
  }
}
