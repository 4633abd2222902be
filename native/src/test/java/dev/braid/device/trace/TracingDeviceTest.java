package dev.braid.device.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.braid.time.NanoClock;
import dev.braid.device.BufferSlice;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.kernel.Gemm;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decorator over the CPU device: host calls and launches on their tracks, with the issuer's note. */
class TracingDeviceTest {
  @Test
  void recordsHostCallsAndLaunchesWithTheirNotes() throws Exception {
    TraceRecorder rec = new TraceRecorder(100);
    try (TracingDevice d = new TracingDevice(new CpuDevice(1), rec, "cpu", NanoClock.system())) {
      DeviceStream s = d.createStream(0);
      Gemm g = Gemm.of(32, 32, 32);
      List<BufferSlice> args = new ArrayList<>();
      for (int i = 0; i < g.argNames().size(); i++) {
        args.add(d.allocate(Math.max(4, g.argBytes(i))).whole());
      }
      d.launching(new LaunchNote(List.of(new LaunchNote.Member("mlp", 7, List.of(70L, 71L), "fc1", g.toString()))));
      d.launch(new KernelLaunch(g, args), s).toCompletableFuture().get();
      d.launched();
      d.context("resnet18", 3);
      d.launch(new KernelLaunch(g, args), s).toCompletableFuture().get();
    }
    StringWriter w = new StringWriter();
    rec.writeTo(w);
    JsonNode root = new ObjectMapper().readTree(w.toString());
    List<JsonNode> host = new ArrayList<>();
    List<JsonNode> launches = new ArrayList<>();
    for (JsonNode e : root.get("traceEvents")) {
      if (e.get("ph").asText().equals("X")) {
        (e.get("tid").asInt() == TraceRecorder.HOST_TRACK ? host : launches).add(e);
      }
    }
    assertEquals(2, host.size());
    assertEquals(2, launches.size());
    JsonNode first = launches.get(0).get("args");
    assertEquals("mlp", first.get("models").get(0).asText());
    assertEquals(7, first.get("jobs").get(0).asLong());
    assertEquals(2, first.get("requests").size());
    assertEquals("fc1", first.get("op").asText());
    JsonNode second = launches.get(1).get("args");
    assertEquals("resnet18", second.get("models").get(0).asText());
    assertEquals(3, second.get("requests").get(0).asLong());
    assertTrue(launches.get(1).get("ts").asDouble() >= launches.get(0).get("ts").asDouble()
        + launches.get(0).get("dur").asDouble(), "a stream's items do not overlap");
  }
}
