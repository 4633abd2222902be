package dev.braid.bench.table1;

import dev.braid.bench.plot.PanelChart;
import dev.braid.config.DeviceSpec;
import dev.braid.time.NanoClock;
import dev.braid.config.RuntimeSettings;
import dev.braid.coordinator.cli.CpuThreadsOption;
import dev.braid.coordinator.cli.TraceOptions;
import dev.braid.device.Device;
import dev.braid.device.Devices;
import dev.braid.device.sim.SimulatedDevice;
import dev.braid.device.trace.SimTimeline;
import dev.braid.device.trace.TraceRecorder;
import dev.braid.device.trace.TracingDevice;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code braid bench table1}: the seed paper's Table 1 on any device. For each of its three SGEMM
 * shapes and each R, runs R problems (from R notional models) time-only, space-only and
 * space-time, and prints GFLOP/s per approach with the speed-up of space-time over the next best
 * beside the paper's V100 figures. Writes {@code table1.json} and {@code table1.png} to
 * {@code --out}.
 *
 * <p>On a simulated GPU times are virtual and deterministic, so one run of each suffices; on
 * other devices they are wall times, medians of {@code --repeats} runs after warm-up.
 */
@Command(
    name = "table1",
    mixinStandardHelpOptions = true,
    description = "The seed paper's Table 1: R SGEMMs time-only, space-only and space-time, beside the paper's V100.")
public final class Table1Command implements Callable<Integer> {
  /** The paper's R values: 2 <= R <= 120. */
  static final List<Integer> PAPER_R = List.of(2, 5, 10, 20, 40, 60, 80, 100, 120);

  @Spec CommandSpec spec;

  @Option(names = "--device", required = true, description = "Device: cpu, auto or sim-<gpu> (e.g. sim-v100, the paper's GPU).")
  String device;

  @Option(names = "--out", required = true, description = "Directory for table1.json and table1.png (created if missing).")
  Path out;

  @Option(names = "--r", split = ",", description = "Problem counts R (default: the paper's 2,5,10,20,40,60,80,100,120).")
  List<Integer> rValues;

  @Option(names = "--shapes", split = ",", description = "Shapes to run: matvec, conv2_2, square (default: all three).")
  List<String> shapes;

  @Option(names = "--repeats", description = "Timed runs per approach, of which the median counts (default: 3 on wall-clock devices, 1 on simulated ones).")
  Integer repeats;

  @Option(names = "--warmup", description = "Untimed runs per approach first (default: 1 on wall-clock devices, 0 on simulated ones).")
  Integer warmup;

  @Mixin CpuThreadsOption threads;

  @Option(names = "--seed", description = "Seed of the operands' values (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Mixin TraceOptions trace;

  @Override
  public Integer call() throws Exception {
    DeviceSpec deviceSpec = DeviceSpec.parse("--device", device);
    List<Integer> rs = rValues(rValues == null ? PAPER_R : rValues);
    List<Table1Shape> selected = shapes(shapes);
    int cpuThreads = threads.orElse(() -> RuntimeSettings.load().cpuThreads());
    if (repeats != null && repeats < 1) {
      throw new IllegalArgumentException("--repeats: expected an integer >= 1, got " + repeats);
    }
    if (warmup != null && warmup < 0) {
      throw new IllegalArgumentException("--warmup: expected an integer >= 0, got " + warmup);
    }
    TraceRecorder recorder = trace.recorder();
    Files.createDirectories(out);
    PrintWriter w = spec.commandLine().getOut();

    Table1Report report;
    SimTimeline timeline = null;
    try (Device opened = Devices.open("--device", deviceSpec, cpuThreads)) {
      Device dev = opened;
      if (recorder != null && opened instanceof SimulatedDevice sim) {
        timeline = SimTimeline.attach(sim, recorder, opened.info().name() + " table1");
      } else if (recorder != null) {
        dev = new TracingDevice(opened, recorder, opened.info().name() + " table1", NanoClock.system());
      }
      DeviceTiming timing = DeviceTiming.of(dev);
      int timedRuns = repeats != null ? repeats : timing.deterministic() ? 1 : 3;
      int warmupRuns = warmup != null ? warmup : timing.deterministic() ? 0 : 1;
      w.printf(Locale.ROOT, "bench table1 on %s (%s): %s time, %d warm-up + %d timed run%s per approach%s%n",
          deviceSpec, dev.info().name(), timing.name(), warmupRuns, timedRuns, timedRuns == 1 ? "" : "s",
          timedRuns > 1 ? ", median kept" : "");
      w.println("GFLOP/s = 2*M*N*K*R / (first launch to last completion); speed-up = space-time over the next best"
          + " of time-only and space-only; paper = the same on a V100 (arXiv 1901.00041, Table 1)");
      Table1Runner runner = new Table1Runner(dev, timing, warmupRuns, timedRuns, seed);
      List<Table1Row> rows = new ArrayList<>();
      for (Table1Shape shape : selected) {
        w.println();
        w.println(shape.key() + ": " + shape.title());
        w.printf(Locale.ROOT, "%5s %12s %12s %12s  %-10s %9s %7s%n", "R", "time-only", "space-only", "space-time",
            "next best", "speed-up", "paper");
        List<Table1Row> shapeRows = new ArrayList<>();
        for (int r : rs) {
          Table1Row row = runner.measure(shape, r);
          shapeRows.add(row);
          OptionalDouble paper = shape.paperSpeedup(r);
          w.printf(Locale.ROOT, "%5d %12.1f %12.1f %12.1f  %-10s %8.2fx %7s%n", r, row.gflops(Approach.TIME_ONLY),
              row.gflops(Approach.SPACE_ONLY), row.gflops(Approach.SPACE_TIME), row.nextBest().label(),
              row.speedupVsNextBest(),
              paper.isPresent() ? String.format(Locale.ROOT, "%.2fx", paper.getAsDouble()) : "");
          w.flush();
        }
        rows.addAll(shapeRows);
        ShapeSummary s = ShapeSummary.of(shape, shapeRows);
        w.printf(Locale.ROOT, "geomean over R=%d..%d: %.2fx over the next best, %.2fx over time-only, %.2fx over"
                + " space-only; paper (2<=R<=120): %.2fx over %s%n", s.minR(), s.maxR(), s.vsNextBest(),
            s.vsTimeOnly(), s.vsSpaceOnly(), shape.paperGeomean(), shape.paperGeomeanBaseline().label());
      }
      report = new Table1Report(deviceSpec.toString(), dev.info().name(), timing.name(), warmupRuns, timedRuns,
          rows);
    }

    List<CalibrationCell> cells = report.calibration();
    if (!cells.isEmpty()) {
      w.println();
      w.println("calibration: the paper's published cells (V100, cuBLAS) beside this run's");
      w.printf(Locale.ROOT, "%-8s %-8s %9s %9s %9s%n", "shape", "cell", "this run", "paper", "error");
      for (CalibrationCell c : cells) {
        w.println(c.line());
      }
    }

    Path json = out.resolve("table1.json");
    Files.writeString(json, report.toJson(), StandardCharsets.UTF_8);
    Path png = out.resolve("table1.png");
    String pngLine = PanelChart.writePngOrSkip(png, "Table 1 on " + report.device() + " (" + report.deviceName() + ")",
        Table1Chart.panels(report), 2);
    w.println();
    w.println("wrote " + json);
    w.println(pngLine);
    if (recorder != null) {
      if (timeline != null) {
        timeline.finish();
      }
      w.println(trace.write(recorder));
    }
    return 0;
  }

  /** Sorted distinct R values, each >= 1. */
  static List<Integer> rValues(List<Integer> given) {
    if (given.isEmpty()) {
      throw new IllegalArgumentException("--r: expected a comma-separated list of integers >= 1, got nothing");
    }
    TreeSet<Integer> sorted = new TreeSet<>();
    for (Integer r : given) {
      if (r == null || r < 1) {
        throw new IllegalArgumentException("--r: expected integers >= 1 (problems per run), got " + r);
      }
      sorted.add(r);
    }
    return List.copyOf(sorted);
  }

  static List<Table1Shape> shapes(List<String> names) {
    if (names == null) {
      return List.of(Table1Shape.values());
    }
    TreeSet<Table1Shape> selected = new TreeSet<>();
    for (String name : names) {
      Table1Shape found = null;
      for (Table1Shape s : Table1Shape.values()) {
        if (s.key().equalsIgnoreCase(name.trim())) {
          found = s;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException("--shapes: unknown shape '" + name + "'; known: matvec, conv2_2, square");
      }
      selected.add(found);
    }
    return List.copyOf(selected);
  }
}
