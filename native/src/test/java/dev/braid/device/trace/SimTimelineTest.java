package dev.braid.device.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** A simulated H100's timeline written as Chrome trace-event JSON and parsed back with Jackson. */
class SimTimelineTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100);

  private static KernelLaunch launchOf(Device d, Kernel kernel) {
    List<BufferSlice> args = new ArrayList<>();
    for (int i = 0; i < kernel.argNames().size(); i++) {
      args.add(d.allocate(Math.max(4, kernel.argBytes(i))).whole());
    }
    return new KernelLaunch(kernel, args);
  }

  private static LaunchNote.Member member(String model, long job, long request, String op, Kernel k) {
    return new LaunchNote.Member(model, job, List.of(request), op, k.toString());
  }

  /** Launches the way the engine does: the note first, then the launch, then "returned". */
  private static CompletionStage<Void> launch(SimulatedDevice d, LaunchTracer t, LaunchNote note,
      dev.braid.device.Launch l, DeviceStream s) {
    t.launching(note);
    CompletionStage<Void> stage = d.launch(l, s);
    t.launched();
    return stage;
  }

  /** Two streams: a Gemm on each, an upload, then a super-kernel of two models' Gemms on the first. */
  private SimTimeline smallRun(TraceRecorder rec) {
    SimTimeline t = SimTimeline.attach(sim, rec, "sim H100 test");
    DeviceStream s1 = sim.createStream(0);
    DeviceStream s2 = sim.createStream(0);
    Gemm a = Gemm.of(256, 256, 256);
    Gemm b = Gemm.of(64, 512, 128);
    launch(sim, t, new LaunchNote(List.of(member("mlp#0", 1, 10, "fc1", a))), launchOf(sim, a), s1);
    launch(sim, t, new LaunchNote(List.of(member("mlp#1", 2, 11, "fc1", b))), launchOf(sim, b), s2);
    sim.upload(new float[256], sim.allocate(1024).whole(), s2);
    GroupedLaunch g = new GroupedLaunch(List.of(launchOf(sim, a), launchOf(sim, b)));
    launch(sim, t, new LaunchNote(List.of(member("mlp#0", 1, 10, "fc2", a), member("bert#0", 3, 12, "qkv", b))), g,
        s1);
    sim.runUntilIdle();
    t.finish();
    return t;
  }

  private static JsonNode parse(TraceRecorder rec) throws IOException {
    StringWriter w = new StringWriter();
    rec.writeTo(w);
    return JSON.readTree(w.toString());
  }

  @Test
  void writesValidJsonWithOneTrackPerStreamTheHostPathAndTheOccupancyCounter() throws IOException {
    TraceRecorder rec = new TraceRecorder(1000);
    smallRun(rec);
    JsonNode root = parse(rec);
    assertFalse(root.get("otherData").get("truncated").asBoolean());
    Set<String> tracks = new HashSet<>();
    int launchesOnStreams = 0;
    int copiesOnStreams = 0;
    int hostCalls = 0;
    long maxBlocks = 0;
    long lastBlocks = -1;
    long lastKernels = -1;
    for (JsonNode e : root.get("traceEvents")) {
      String ph = e.get("ph").asText();
      assertTrue(e.get("pid").isInt() && e.get("tid").isInt(), e.toString());
      switch (ph) {
        case "M" -> {
          if (e.get("name").asText().equals("thread_name")) {
            tracks.add(e.get("args").get("name").asText());
          }
        }
        case "X" -> {
          assertTrue(e.get("ts").isNumber() && e.get("dur").isNumber(), "microsecond numbers: " + e);
          assertTrue(e.get("dur").asDouble() > 0, e.toString());
          if (e.get("tid").asInt() == TraceRecorder.HOST_TRACK) {
            hostCalls++;
            assertEquals("host", e.get("cat").asText());
            // whole driver calls (a copy or plain launch one, a GEMM or grouped launch its table upload too) and the event
            var timing = GpuProfiles.H100.timing();
            double calls = (e.get("dur").asDouble() * 1e3 - timing.hostCompletionEventNanos())
                / timing.hostLaunchOverheadNanos();
            assertTrue(calls >= 1 && Math.abs(calls - Math.rint(calls)) < 1e-6, "host call of " + e);
          } else if (e.get("cat").asText().equals("copy")) {
            copiesOnStreams++;
            assertEquals("upload", e.get("name").asText());
          } else {
            launchesOnStreams++;
            JsonNode args = e.get("args");
            assertTrue(args.get("kernel").asText().contains("Gemm"), e.toString());
            assertTrue(args.get("models").size() >= 1 && args.get("jobs").size() >= 1
                && args.get("requests").size() >= 1, "model, job and request ids: " + e);
          }
        }
        case "C" -> {
          assertEquals(SimTimeline.OCCUPANCY, e.get("name").asText());
          lastBlocks = e.get("args").get("resident blocks").asLong();
          lastKernels = e.get("args").get("resident kernels").asLong();
          maxBlocks = Math.max(maxBlocks, lastBlocks);
        }
        default -> throw new AssertionError("unexpected phase " + ph + ": " + e);
      }
    }
    assertEquals(Set.of("host launch path", "stream 1", "stream 2"), tracks);
    assertEquals(3, launchesOnStreams);
    assertEquals(1, copiesOnStreams);
    assertEquals(4, hostCalls, "one host call per launch and per copy");
    assertTrue(maxBlocks > 0, "blocks were resident");
    assertEquals(0, lastBlocks, "every block retired by the end");
    assertEquals(0, lastKernels, "every kernel completed by the end");
  }

  @Test
  void aSuperKernelListsItsMembers() throws IOException {
    TraceRecorder rec = new TraceRecorder(1000);
    smallRun(rec);
    JsonNode group = null;
    for (JsonNode e : parse(rec).get("traceEvents")) {
      if (e.get("ph").asText().equals("X") && e.get("cat").asText().equals("super-kernel")) {
        group = e;
      }
    }
    assertTrue(group != null, "the grouped launch is on its stream's track");
    assertEquals("Gemm x2", group.get("name").asText());
    JsonNode members = group.get("args").get("members");
    assertEquals(2, members.size());
    assertEquals("mlp#0", members.get(0).get("model").asText());
    assertEquals("fc2", members.get(0).get("op").asText());
    assertEquals("bert#0", members.get(1).get("model").asText());
    assertEquals("qkv", members.get(1).get("op").asText());
    assertTrue(members.get(1).get("kernel").asText().startsWith("Gemm[batch=1 M=64 N=512 K=128"),
        members.get(1).toString());
    assertEquals(List.of("mlp#0", "bert#0"), List.of(group.get("args").get("models").get(0).asText(),
        group.get("args").get("models").get(1).asText()));
  }

  @Test
  void theBoundKeepsTheFirstEventsAndTheFileSaysItWasTruncated() throws IOException {
    TraceRecorder rec = new TraceRecorder(5);
    smallRun(rec);
    assertEquals(5, rec.events().size());
    assertTrue(rec.truncated());
    JsonNode root = parse(rec);
    assertTrue(root.get("otherData").get("truncated").asBoolean());
    assertEquals(5, root.get("otherData").get("maxEvents").asInt());
    int kept = 0;
    boolean marker = false;
    for (JsonNode e : root.get("traceEvents")) {
      String ph = e.get("ph").asText();
      if (ph.equals("X") || ph.equals("C")) {
        kept++;
      }
      if (ph.equals("i") && e.get("name").asText().equals("trace truncated: only the first 5 events kept")) {
        marker = true;
      }
    }
    assertEquals(5, kept);
    assertTrue(marker, "a global instant event marks the truncation");
    // the first five in recording order: the run's earliest host calls come first
    assertEquals(rec.events().get(0).startNanos(), rec.events().stream().mapToLong(TraceRecorder.Event::startNanos)
        .min().orElseThrow());
  }

  @Test
  void withoutATimelineOrAfterFinishNothingIsRecorded() {
    TraceRecorder rec = new TraceRecorder(1000);
    // no timeline attached: the same work adds nothing
    DeviceStream s = sim.createStream(0);
    sim.launch(launchOf(sim, Gemm.of(128, 128, 128)), s);
    sim.runUntilIdle();
    assertTrue(rec.events().isEmpty());
    // attached, then finished: later work adds nothing either
    SimTimeline t = SimTimeline.attach(sim, rec, "sim");
    sim.launch(launchOf(sim, Gemm.of(128, 128, 128)), s);
    sim.runUntilIdle();
    t.finish();
    int after = rec.events().size();
    assertTrue(after > 0);
    sim.launch(launchOf(sim, Gemm.of(128, 128, 128)), s);
    sim.runUntilIdle();
    assertEquals(after, rec.events().size());
  }

  @Test
  void timestampsAreExactMicroseconds() {
    assertEquals("0.000", TraceRecorder.micros(0));
    assertEquals("1.234", TraceRecorder.micros(1234));
    assertEquals("12345678.901", TraceRecorder.micros(12_345_678_901L));
  }

  @Test
  void familyNamesAndBlockCountsComeFromTheSimulatorsDetails() {
    assertEquals("Conv2d", SimTimeline.familyName("Conv2d[in=3x32x32 out=16]"));
    assertEquals("Gemm x4", SimTimeline.familyName("grouped Gemm x4"));
    assertEquals("upload", SimTimeline.familyName("upload 1024 bytes"));
    assertEquals(132, SimTimeline.leadingCount("132 blocks, finishing [100, 200]"));
    assertEquals(0, SimTimeline.leadingCount("until 100"));
  }
}
