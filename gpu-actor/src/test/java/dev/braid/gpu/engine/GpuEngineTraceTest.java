package dev.braid.gpu.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.device.sim.GpuProfiles;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.trace.SimTimeline;
import dev.braid.device.trace.TraceRecorder;
import dev.braid.gpu.GpuSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine's launches on a simulated GPU's timeline carry their models, jobs, requests and members. */
class GpuEngineTraceTest {
  @RegisterExtension
  static final ZooExtension ZOO = new ZooExtension("resnet18");

  /** Two instances of resnet18 under space-time, four requests each at the same instants; returns the answers. */
  private static List<InferResult> run(SimulatedDevice sim, TraceRecorder rec) {
    // holding for partners: with eight streams free the instances' kernels are never ready at one instant otherwise
    GpuEngine engine = GpuEngine.onSimulator(sim,
        GpuSettings.defaults().withPolicy("space-time").withMaxHold(Duration.ofNanos(50_000)));
    for (String name : List.of("a", "b")) {
      List<LoadResult> loaded = new ArrayList<>();
      engine.load(name, ZOO.zoo().models.get("resnet18"), loaded::add);
      sim.runUntilIdle();
      assertInstanceOf(LoadResult.Loaded.class, loaded.get(0));
    }
    if (rec != null) {
      engine.traceLaunches(SimTimeline.attach(sim, rec, "sim H100 space-time"));
    }
    List<InferResult> answers = new ArrayList<>();
    long t = sim.clock().nanoTime();
    for (int i = 0; i < 4; i++) {
      for (String name : List.of("a", "b")) {
        sim.schedule(t + i * 200_000L, () -> engine.submit(new InferRequest(name, ZOO.zoo().inputs("resnet18", 1, 1),
            Long.MAX_VALUE, 0, answers::add)));
      }
    }
    sim.runUntilIdle();
    return answers;
  }

  @Test
  void everyLaunchNamesItsModelJobAndRequestsAndSuperKernelsTheirMembers() {
    SimulatedDevice sim = new SimulatedDevice(GpuProfiles.H100);
    TraceRecorder rec = new TraceRecorder(100_000);
    List<InferResult> answers = run(sim, rec);
    assertEquals(8, answers.size());
    int launches = 0;
    int superKernels = 0;
    Set<Object> requests = new HashSet<>();
    for (TraceRecorder.Event e : rec.events()) {
      if (e.phase() != 'X' || e.track() == TraceRecorder.HOST_TRACK || e.category().equals("copy")) {
        continue;
      }
      launches++;
      Map<String, Object> a = e.args();
      assertTrue(a.containsKey("models") && a.containsKey("jobs") && a.containsKey("requests"), e.toString());
      assertFalse(((List<?>) a.get("requests")).isEmpty(), e.toString());
      requests.addAll((List<?>) a.get("requests"));
      if (e.category().equals("super-kernel")) {
        superKernels++;
        List<?> members = (List<?>) a.get("members");
        assertEquals(Integer.parseInt(e.name().substring(e.name().lastIndexOf('x') + 1)), members.size(),
            e.toString());
        for (Object m : members) {
          Map<?, ?> mm = (Map<?, ?>) m;
          assertTrue(Set.of("a", "b").contains(mm.get("model")), mm.toString());
          assertTrue(mm.get("op") instanceof String && mm.get("kernel") instanceof String, mm.toString());
        }
      }
    }
    assertTrue(launches > 0);
    assertTrue(superKernels > 0, "space-time fused the two instances' kernels");
    assertEquals(8, requests.size(), "every request shows up in some launch");
  }

  @Test
  void tracingChangesNoTimingAndStoresNothingInTheSimulator() {
    SimulatedDevice traced = new SimulatedDevice(GpuProfiles.H100);
    SimulatedDevice plain = new SimulatedDevice(GpuProfiles.H100);
    TraceRecorder rec = new TraceRecorder(100_000);
    run(traced, rec);
    run(plain, null);
    assertEquals(plain.clock().nanoTime(), traced.clock().nanoTime(), "the same run ends at the same virtual time");
    assertEquals(plain.stats(), traced.stats());
    assertFalse(rec.events().isEmpty());
    assertTrue(traced.trace().isEmpty() && plain.trace().isEmpty(),
        "the timeline is streamed: the simulator stores none");
  }
}
