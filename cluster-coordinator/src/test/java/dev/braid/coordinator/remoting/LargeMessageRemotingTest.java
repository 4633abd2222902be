package dev.braid.coordinator.remoting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.InferenceWire.Completed;
import dev.braid.protocol.cluster.InferenceWire.Infer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * Inference tensors between two actor systems over Artery TCP on the loopback, with the module's
 * {@code pekko.remote.artery} settings: megabytes travel on the large-message stream, and a
 * message over {@code braid.protocol.max-message-bytes} is refused by its sender while the
 * association carries on.
 */
class LargeMessageRemotingTest {
  /** 7 MiB of float32 (the default bound is 8 MiB): a batch of about 12 3x224x224 images. */
  private static final int EIGHT_MIB_OF_FLOATS = 7 * 1024 * 1024 / Float.BYTES;

  private static Config remote(String overrides) {
    return ConfigFactory.parseString("""
        pekko.actor.provider = remote
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        """ + overrides).withFallback(ConfigFactory.load());
  }

  private static Tensor floats(int n, float seed) {
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = seed + i * 0.5f;
    }
    return Tensor.ofFloats(Shape.of(n), data);
  }

  /** A stand-in GPU endpoint: answers every Infer with its inputs as outputs, and reports it. */
  private static Behavior<Infer> echoGpu(ActorRef<Infer> seen) {
    return Behaviors.receiveMessage(infer -> {
      seen.tell(infer);
      infer.replyTo().tell(new Completed(infer.requestId(), infer.inputs()));
      return Behaviors.same();
    });
  }

  /** {@code ref} of {@code owner} as the other system resolves it, as a wire message's ref would be. */
  private static <T> ActorRef<T> across(ActorTestKit owner, ActorRef<T> ref, ActorTestKit other) {
    String path = ActorRefResolver.get(owner.system()).toSerializationFormat(ref);
    assertTrue(path.startsWith("pekko://" + owner.system().name() + "@127.0.0.1:"), path);
    return ActorRefResolver.get(other.system()).resolveActorRef(path);
  }

  @Test
  void largeFrameHoldsTheLargestMessageTheSerializerAllows() {
    Config config = ConfigFactory.load();
    long bound = config.getBytes("braid.protocol.max-message-bytes");
    long frame = config.getBytes("pekko.remote.artery.advanced.maximum-large-frame-size");
    assertTrue(frame >= bound + 64 * 1024, "large frame " + frame + " B leaves no header room over " + bound + " B");
    assertTrue(config.getStringList("pekko.remote.artery.large-message-destinations").contains("/system/gpu-*"));
  }

  @Test
  void eightMibRequestAndReplyCrossIntactOnTheLargeStream() throws Exception {
    ActorTestKit frontend = ActorTestKit.create("frontend", remote(""));
    ActorTestKit gpuNode = ActorTestKit.create("gpunode", remote(""));
    try {
      TestProbe<Infer> seen = gpuNode.createTestProbe();
      ActorRef<Infer> gpu = gpuNode.system().systemActorOf(echoGpu(seen.ref()), "gpu-0", org.apache.pekko.actor.typed.Props.empty());
      ActorRef<Infer> remoteGpu = across(gpuNode, gpu, frontend);

      Tensor input = floats(EIGHT_MIB_OF_FLOATS, 0.25f);
      // The ask's reply goes to /temp/gpu-0$<n> on the frontend: a large-message destination.
      CompletionStage<InferenceWire.Reply> reply = AskPattern.ask(remoteGpu,
          replyTo -> new Infer("big-1", "m", "", Map.of("x", input), Duration.ofSeconds(10), 0, "t", replyTo),
          Duration.ofSeconds(10), frontend.scheduler());

      Infer received = seen.receiveMessage(Duration.ofSeconds(10));
      assertEquals(input, received.inputs().get("x"));
      assertTrue(received.replyTo().path().toString().contains("/temp/gpu-0$"), received.replyTo().path().toString());
      assertEquals(new Completed("big-1", Map.of("x", input)), reply.toCompletableFuture().get(10, TimeUnit.SECONDS));
    } finally {
      frontend.shutdownTestKit();
      gpuNode.shutdownTestKit();
    }
  }

  @Test
  void messageOverTheBoundIsRefusedBySenderAndTheAssociationCarriesOn() {
    String bound = "braid.protocol.max-message-bytes = 1 MiB\n";
    ActorTestKit frontend = ActorTestKit.create("frontend", remote(bound));
    ActorTestKit gpuNode = ActorTestKit.create("gpunode", remote(bound));
    try {
      TestProbe<Infer> seen = gpuNode.createTestProbe();
      ActorRef<Infer> remoteGpu = across(gpuNode, gpuNode.system().systemActorOf(echoGpu(seen.ref()), "gpu-0", org.apache.pekko.actor.typed.Props.empty()), frontend);
      TestProbe<InferenceWire.Reply> replies = frontend.createTestProbe();

      // A first small message opens the association, so the refusal cannot be mistaken for a
      // connection that never came up.
      remoteGpu.tell(new Infer("small-0", "m", "", Map.of("x", floats(4, 0f)), Duration.ofSeconds(5), 0, "t",
          replies.ref()));
      assertEquals("small-0", seen.receiveMessage(Duration.ofSeconds(10)).requestId());

      // Just over 1 MiB of payload: the frontend's serializer refuses it, Artery logs the
      // failure and drops the message.
      remoteGpu.tell(new Infer("too-big", "m", "", Map.of("x", floats(1024 * 1024 / Float.BYTES + 1, 0f)),
          Duration.ofSeconds(5), 0, "t", replies.ref()));
      Tensor after = floats(1000, 3f);
      remoteGpu.tell(new Infer("small-1", "m", "", Map.of("x", after), Duration.ofSeconds(5), 0, "t", replies.ref()));

      // Ordered per sender and receiver: had the big one got through, it would arrive first.
      Infer next = seen.receiveMessage(Duration.ofSeconds(10));
      assertEquals("small-1", next.requestId());
      assertEquals(after, next.inputs().get("x"));
      seen.expectNoMessage(Duration.ofMillis(200));
    } finally {
      frontend.shutdownTestKit();
      gpuNode.shutdownTestKit();
    }
  }
}
