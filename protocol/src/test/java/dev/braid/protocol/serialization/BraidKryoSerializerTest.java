package dev.braid.protocol.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.model.DType;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.WireMessage;
import dev.braid.protocol.cluster.InferenceWire;
import dev.braid.protocol.cluster.InferenceWire.Completed;
import dev.braid.protocol.cluster.InferenceWire.Failed;
import dev.braid.protocol.cluster.FailureReason;
import dev.braid.protocol.cluster.InferenceWire.Infer;
import dev.braid.protocol.cluster.RoutingTableWire;
import dev.braid.protocol.cluster.RoutingTableWire.Replica;
import dev.braid.protocol.cluster.RoutingTableWire.Route;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every wire message through a real actor system's serialization, as remoting would do it. */
class BraidKryoSerializerTest {
  private static ActorTestKit testKit;
  private static Serialization serialization;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("wire");
    serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Serializes with the serializer Pekko picks and reads back as Pekko would on the other side. */
  private static Object roundTrip(Object message) {
    Serializer serializer = serialization.findSerializerFor(message);
    assertInstanceOf(BraidKryoSerializer.class, serializer, "serializer for " + message.getClass());
    byte[] bytes = serialization.serialize(message).get();
    return serialization.deserialize(bytes, serializer.identifier(), "").get();
  }

  private static Tensor image() {
    float[] data = new float[2 * 3 * 4];
    for (int i = 0; i < data.length; i++) {
      data[i] = i * 0.25f - 1f;
    }
    return Tensor.ofFloats(Shape.of(1, 2, 3, 4), data);
  }

  private static Infer infer(ActorRef<InferenceWire.Reply> replyTo) {
    return new Infer("req-1", "resnet18", "1",
        Map.of("x", image(), "ids", Tensor.ofLongs(Shape.of(3), new long[] {-7, 0, Long.MAX_VALUE}),
            "mask", Tensor.ofLongs(DType.BOOL, Shape.of(2), new long[] {1, 0})),
        Duration.ofMillis(20).plusNanos(17), 3, "acme", replyTo);
  }

  @Test
  void serializerIsBoundWithItsFixedIdentifier() {
    TestProbe<InferenceWire.Reply> probe = testKit.createTestProbe();
    assertEquals(BraidKryoSerializer.IDENTIFIER, serialization.findSerializerFor(infer(probe.ref())).identifier());
    assertEquals(8 * 1024 * 1024,
        ((BraidKryoSerializer) serialization.findSerializerFor(infer(probe.ref()))).maxMessageBytes());
  }

  @Test
  void inferRoundTripsWithTensorsAndItsReplyToRef() {
    TestProbe<InferenceWire.Reply> probe = testKit.createTestProbe();
    Infer sent = infer(probe.ref());
    Infer received = (Infer) roundTrip(sent);

    assertEquals(sent, received);
    assertEquals(DType.BOOL, received.inputs().get("mask").dtype());
    assertEquals(Duration.ofMillis(20).plusNanos(17), received.deadlineBudget());
    // The resolved reference reaches the same actor.
    received.replyTo().tell(new Failed("req-1", FailureReason.INTERNAL, "test"));
    assertEquals("test", ((Failed) probe.receiveMessage()).message());
  }

  @Test
  void repliesRoundTrip() {
    Completed completed = new Completed("r", Map.of("y", image()));
    assertEquals(completed, roundTrip(completed));
    assertEquals(new Completed("e", Map.of()), roundTrip(new Completed("e", Map.of())));
    for (FailureReason reason : FailureReason.values()) {
      Failed failed = new Failed("r", reason, "because " + reason);
      assertEquals(failed, roundTrip(failed));
    }
  }

  @Test
  void routingTableRoundTripsWithEveryListAndMapShape() {
    ActorRef<Infer> a = testKit.<Infer>createTestProbe().ref();
    ActorRef<Infer> b = testKit.<Infer>createTestProbe().ref();
    Replica ra = new Replica(a, "pekko://braid@10.0.0.1:25520", 0, 3, 1_500_000, 0.99);
    Replica rb = new Replica(b, "pekko://braid@10.0.0.2:25520", 1, 0, 0, 1.0);
    List<RoutingTableWire> tables = List.of(
        new RoutingTableWire(1, Map.of()),
        new RoutingTableWire(2, Map.of("m", new Route("m", 1, 40_000, List.of(ra), "READY", ""))),
        new RoutingTableWire(3, Map.of("m", new Route("m", 2, 40_000, List.of(ra, rb), "READY", ""),
            "n", new Route("n", 0, 1, List.of(), "UNAVAILABLE", "no GPU has the memory"))));
    for (RoutingTableWire t : tables) {
      RoutingTableWire back = (RoutingTableWire) roundTrip(t);
      assertEquals(t, back);
    }
  }

  @Test
  void tensorsAreCompact() throws Exception {
    Completed small = new Completed("r", Map.of("ids", Tensor.ofLongs(Shape.of(1, 3), new long[] {4, -5, 6})));
    byte[] bytes = serialization.serialize(small).get();
    // class id, "r", map header, "ids", tensor id, dtype, rank 2 + dims, 3 one-byte values.
    assertTrue(bytes.length <= 20, "small Completed took " + bytes.length + " bytes");

    Completed big = new Completed("r", Map.of("x", Tensor.ofFloats(Shape.of(1000), new float[1000])));
    int size = serialization.serialize(big).get().length;
    assertTrue(size >= 4000 && size <= 4030, "1000 floats took " + size + " bytes");
  }

  record NotRegistered(int x) implements WireMessage {}

  @Test
  void unregisteredClassIsRefusedByName() {
    Throwable e = assertThrows(IllegalArgumentException.class,
        () -> serialization.serialize(new NotRegistered(1)).get());
    assertTrue(e.getMessage().contains(NotRegistered.class.getName()), e.getMessage());
  }

  @Test
  void unknownIdOnTheWireIsRefused() {
    // Varint 999 + 2 (Kryo offsets ids by two for null and "not null"): an id nobody registered.
    byte[] bytes = {(byte) 0xE9, 0x07, 0x00};
    Throwable e = assertThrows(IllegalArgumentException.class,
        () -> serialization.deserialize(bytes, BraidKryoSerializer.IDENTIFIER, "").get());
    assertTrue(e.getMessage().contains("unregistered class ID"), e.getMessage());
  }

  @Test
  void sizeBoundHoldsWhenSerializingAndDeserializing() {
    ActorTestKit small = ActorTestKit.create("small",
        ConfigFactory.parseString("braid.protocol.max-message-bytes = 1 KiB").withFallback(ConfigFactory.load()));
    try {
      Serialization smallSer = SerializationExtension.get(Adapter.toClassic(small.system()));
      Completed big = new Completed("r", Map.of("x", Tensor.ofFloats(Shape.of(300), new float[300])));

      MessageTooLargeException out = assertThrows(MessageTooLargeException.class,
          () -> smallSer.serialize(big).get());
      assertEquals(Completed.class.getName(), out.className());
      assertEquals(1024, out.maxBytes());
      assertTrue(out.sizeBytes() > 1200, "size " + out.sizeBytes());
      assertTrue(out.getMessage().contains(Completed.class.getName()) && out.getMessage().contains("1024"),
          out.getMessage());

      // The default bound lets it out; the receiver with the small bound refuses it.
      byte[] bytes = serialization.serialize(big).get();
      MessageTooLargeException in = assertThrows(MessageTooLargeException.class,
          () -> smallSer.deserialize(bytes, BraidKryoSerializer.IDENTIFIER, "").get());
      assertEquals(Completed.class.getName(), in.className());
      assertEquals(bytes.length, in.sizeBytes());

      // Under the bound all is well.
      Completed fits = new Completed("r", Map.of("x", Tensor.ofFloats(Shape.of(10), new float[10])));
      byte[] ok = smallSer.serialize(fits).get();
      assertEquals(fits, smallSer.deserialize(ok, BraidKryoSerializer.IDENTIFIER, "").get());
    } finally {
      small.shutdownTestKit();
    }
  }

  record PlainSerializable(String s) implements Serializable {}

  @Test
  void javaSerializationIsDisabled() {
    assertEquals(false, testKit.system().settings().config().getBoolean("pekko.actor.allow-java-serialization"));
    assertTrue(serialization.serialize(new PlainSerializable("x")).isFailure());
    assertNotEquals("org.apache.pekko.serialization.JavaSerializer",
        serialization.findSerializerFor(new PlainSerializable("x")).getClass().getName());
  }

  @Test
  void concurrentUseGivesEachThreadItsOwnKryo() throws Exception {
    TestProbe<InferenceWire.Reply> probe = testKit.createTestProbe();
    Infer message = infer(probe.ref());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          int ok = 0;
          for (int i = 0; i < 300; i++) {
            if (message.equals(roundTrip(message))) {
              ok++;
            }
          }
          return ok;
        }));
      }
      for (Future<Integer> f : results) {
        assertEquals(300, f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
