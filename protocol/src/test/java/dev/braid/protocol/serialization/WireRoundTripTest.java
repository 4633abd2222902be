package dev.braid.protocol.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.braid.protocol.WireMessage;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every {@link WireMessage} class of {@link WireRegistry} round-trips through a real actor
 * system's serialization with the values of {@link WireSamples}, and two guards keep it so: every
 * registered message class has a sample, and every {@code List} or {@code Map} component of every
 * registered record is sampled empty, with one, with two and with three or more elements.
 */
class WireRoundTripTest {
  private static ActorTestKit testKit;
  private static Serialization serialization;
  private static Map<Class<?>, List<WireMessage>> samples;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create("wire-round-trip");
    serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    samples = WireSamples.all(testKit);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static List<Class<?>> registeredMessageClasses() {
    List<Class<?>> out = new ArrayList<>();
    for (Class<?> type : WireRegistry.classesById().values()) {
      if (WireMessage.class.isAssignableFrom(type) && !type.isInterface()) {
        out.add(type);
      }
    }
    return out;
  }

  @TestFactory
  Stream<DynamicTest> everySampleRoundTripsEqual() {
    return samples.values().stream().flatMap(List::stream).map(sent -> DynamicTest.dynamicTest(
        abbreviate(sent), () -> {
          Serializer serializer = serialization.findSerializerFor(sent);
          assertInstanceOf(BraidKryoSerializer.class, serializer, "serializer for " + sent.getClass().getName());
          byte[] bytes = serialization.serialize(sent).get();
          Object received = serialization.deserialize(bytes, serializer.identifier(), "").get();
          assertEquals(sent.getClass(), received.getClass());
          assertEquals(sent, received);
        }));
  }

  @Test
  void everyRegisteredWireMessageHasASample() {
    List<String> missing = new ArrayList<>();
    for (Class<?> type : registeredMessageClasses()) {
      if (samples.getOrDefault(type, List.of()).isEmpty()) {
        missing.add(type.getName());
      }
    }
    assertTrue(missing.isEmpty(),
        "wire messages without a round-trip sample (add them to WireSamples): " + missing);
    // And no sample of a class the registry does not know: it could not travel.
    for (Class<?> type : samples.keySet()) {
      assertTrue(WireRegistry.idOf(type) >= WireRegistry.FIRST_ID, type.getName() + " has a sample but no wire id");
    }
  }

  @Test
  void everyCollectionComponentIsSampledAtEverySizeClass() {
    // "RoutingTableWire$Route.replicas" -> the size classes seen in the samples, walking into nested records,
    // list elements and map values.
    Map<String, Set<Integer>> seen = new TreeMap<>();
    for (List<WireMessage> list : samples.values()) {
      for (WireMessage m : list) {
        walk(m, seen);
      }
    }
    Set<Integer> every = new TreeSet<>();
    for (int n : WireSamples.SIZES) {
      every.add(n);
    }
    List<String> gaps = new ArrayList<>();
    for (Class<?> type : registeredMessageClasses()) {
      if (!type.isRecord()) {
        continue;
      }
      for (RecordComponent c : type.getRecordComponents()) {
        if (List.class.isAssignableFrom(c.getType()) || Map.class.isAssignableFrom(c.getType())) {
          String key = shortName(type) + "." + c.getName();
          Set<Integer> have = seen.getOrDefault(key, Set.of());
          if (!have.containsAll(every)) {
            gaps.add(key + " sampled at sizes " + have + ", needs " + every);
          }
        }
      }
    }
    assertTrue(gaps.isEmpty(), "collection components missing a size class: " + gaps);
  }

  private static void walk(Object value, Map<String, Set<Integer>> seen) {
    if (value == null || !value.getClass().isRecord()) {
      return;
    }
    for (RecordComponent c : value.getClass().getRecordComponents()) {
      Object v;
      try {
        v = c.getAccessor().invoke(value);
      } catch (ReflectiveOperationException e) {
        fail("cannot read " + c, e);
        return;
      }
      Collection<?> elements = v instanceof Collection<?> coll ? coll : v instanceof Map<?, ?> map ? map.values() : null;
      if (elements != null) {
        String key = shortName(value.getClass()) + "." + c.getName();
        seen.computeIfAbsent(key, k -> new TreeSet<>()).add(Math.min(elements.size(), 3));
        for (Object e : elements) {
          walk(e, seen);
        }
      } else {
        walk(v, seen);
      }
    }
  }

  /** "CoordinatorWire$SetPolicy", not "SetPolicy": GpuWire has one too. */
  private static String shortName(Class<?> type) {
    return type.getName().substring(type.getPackageName().length() + 1);
  }

  private static String abbreviate(Object o) {
    String s = o.toString();
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
