package dev.braid.coordinator.metrics;

import io.grpc.Status;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Triton's per-model metrics under Triton's own names, so that dashboards written for Triton
 * work on Braid: {@code nv_inference_request_success}, {@code nv_inference_request_failure}
 * (label {@code reason}: the gRPC status code), {@code nv_inference_count}, {@code
 * nv_inference_exec_count}, {@code nv_inference_pending_request_count} and the cumulative
 * microseconds {@code nv_inference_request_duration_us}, {@code nv_inference_queue_duration_us},
 * {@code nv_inference_compute_infer_duration_us}, each labelled {@code model} and {@code version}.
 *
 * <p>Written here rather than through the Prometheus client's {@code Counter}: its text format
 * appends {@code _total} to every counter's name, and Triton (prometheus-cpp) exposes these
 * counters without it; a dashboard querying {@code nv_inference_request_success} would find
 * nothing. The families are written in the same text format after the client's, as counters
 * (the pending count as a gauge).
 *
 * <p>Hot path: {@link #cell} finds a model's cell with one map lookup and a scan of its few
 * versions, and every figure is a {@link LongAdder}: no lock and no allocation per request once a
 * (model, version) has been seen.
 */
public final class TritonMetrics {
  /** One (model, version): what the frontend counts (success, failure, duration) and what a GPU counts (the rest). */
  public static final class Cell {
    final String model;
    final long version;
    final LongAdder success = new LongAdder();
    final LongAdder[] failure = new LongAdder[Status.Code.values().length];
    final LongAdder count = new LongAdder();
    final LongAdder execCount = new LongAdder();
    final LongAdder requestDurationUs = new LongAdder();
    /** The failed requests' part of {@code requestDurationUs}. */
    final LongAdder failDurationUs = new LongAdder();
    final LongAdder queueDurationUs = new LongAdder();
    final LongAdder computeDurationUs = new LongAdder();
    /** Requests whose queue and compute durations were added (Triton's per-request counts). */
    final LongAdder queued = new LongAdder();
    final LongAdder computed = new LongAdder();
    /**
     * When the last request was answered with outputs, in milliseconds since the epoch; 0 before.
     * Striped like the adders: one shared volatile would be written by every request's thread.
     */
    final LongAccumulator lastSuccessMillis = new LongAccumulator(Math::max, 0);

    Cell(String model, long version) {
      this.model = model;
      this.version = version;
      for (int i = 0; i < failure.length; i++) {
        failure[i] = new LongAdder();
      }
    }

    /** A request answered with outputs after {@code nanos} at the frontend. */
    public void succeeded(long nanos) {
      success.increment();
      requestDurationUs.add(nanos / 1_000);
      lastSuccessMillis.accumulate(System.currentTimeMillis());
    }

    /** A request answered with {@code code} (not OK) after {@code nanos} at the frontend. */
    public void failed(Status.Code code, long nanos) {
      failure[code.ordinal()].increment();
      requestDurationUs.add(nanos / 1_000);
      failDurationUs.add(nanos / 1_000);
    }

    /** A batch of {@code rows} rows started on a GPU, its {@code requests} having queued {@code queuedNanos} together. */
    public void executed(int requests, int rows, long queuedNanos) {
      execCount.increment();
      count.add(rows);
      queued.add(requests);
      queueDurationUs.add(queuedNanos / 1_000);
    }

    /** A batch's {@code requests} computed for {@code nanos} together. */
    public void computed(int requests, long nanos) {
      computed.add(requests);
      computeDurationUs.add(nanos / 1_000);
    }

    /** What this node counted of the (model, version) so far (microsecond resolution). */
    public Statistics statistics() {
      long failures = 0;
      for (LongAdder f : failure) {
        failures += f.sum();
      }
      long failUs = failDurationUs.sum();
      return new Statistics(model, version, lastSuccessMillis.get(), count.sum(), execCount.sum(), success.sum(),
          (requestDurationUs.sum() - failUs) * 1_000, failures, failUs * 1_000, queued.sum(),
          queueDurationUs.sum() * 1_000, computed.sum(), computeDurationUs.sum() * 1_000);
    }
  }

  /**
   * One (model, version) as Triton's statistics extension reports it: counts, and cumulative
   * durations in nanoseconds. The frontend counts success and failure; a GPU the rest.
   */
  public record Statistics(String model, long version, long lastInferenceMillis, long inferenceCount,
      long executionCount, long successCount, long successNanos, long failCount, long failNanos, long queueCount,
      long queueNanos, long computeCount, long computeNanos) {}

  /** The statistics of every version seen of {@code model}, oldest first; of every model when it is empty. */
  public List<Statistics> statistics(String model) {
    List<Statistics> out = new ArrayList<>();
    List<String> names = new ArrayList<>(model.isEmpty() ? byModel.keySet() : List.of(model));
    names.sort(Comparator.naturalOrder());
    for (String name : names) {
      Cell[] cells = byModel.getOrDefault(name, new Cell[0]).clone();
      Arrays.sort(cells, Comparator.comparingLong(c -> c.version));
      for (Cell c : cells) {
        out.add(c.statistics());
      }
    }
    return out;
  }

  private final Map<String, Cell[]> byModel = new ConcurrentHashMap<>();

  /** The cell of {@code model} at {@code version}, created on first use. */
  public Cell cell(String model, long version) {
    Cell[] cells = byModel.get(model);
    if (cells != null) {
      for (Cell c : cells) {
        if (c.version == version) {
          return c;
        }
      }
    }
    synchronized (this) { // first sight of a (model, version) only
      Cell[] now = byModel.getOrDefault(model, new Cell[0]);
      for (Cell c : now) {
        if (c.version == version) {
          return c;
        }
      }
      Cell created = new Cell(model, version);
      Cell[] grown = Arrays.copyOf(now, now.length + 1);
      grown[now.length] = created;
      byModel.put(model, grown);
      return created;
    }
  }

  /** The newest version seen of {@code model}; -1 when none. */
  long newestVersion(String model) {
    Cell[] cells = byModel.get(model);
    long newest = -1;
    if (cells != null) {
      for (Cell c : cells) {
        newest = Math.max(newest, c.version);
      }
    }
    return newest;
  }

  /**
   * Writes the families in Prometheus's text format (0.0.4).
   *
   * @param pending per model, the requests queued now on this node's GPUs; reported under the
   *     model's newest version
   */
  public void write(Writer w, Map<String, Long> pending) throws IOException {
    List<Cell> cells = new ArrayList<>();
    byModel.values().forEach(a -> cells.addAll(Arrays.asList(a)));
    cells.sort(Comparator.<Cell, String>comparing(c -> c.model).thenComparingLong(c -> c.version));
    family(w, "nv_inference_request_success", "counter",
        "Number of successful inference requests, all batch sizes", cells, c -> c.success.sum());
    header(w, "nv_inference_request_failure", "counter",
        "Number of failed inference requests, all batch sizes, by reason (the gRPC status code)");
    for (Cell c : cells) {
      for (Status.Code code : Status.Code.values()) {
        long n = c.failure[code.ordinal()].sum();
        if (n > 0) {
          sample(w, "nv_inference_request_failure", c, "reason", code.name(), n);
        }
      }
    }
    family(w, "nv_inference_count", "counter",
        "Number of inferences performed (a batch of n rows counts n)", cells, c -> c.count.sum());
    family(w, "nv_inference_exec_count", "counter",
        "Number of model executions performed (batches)", cells, c -> c.execCount.sum());
    header(w, "nv_inference_pending_request_count", "gauge",
        "Instantaneous number of pending requests awaiting execution (queued in a GPU's batcher)");
    for (Cell c : cells) {
      if (c.version == newestVersion(c.model)) {
        sample(w, "nv_inference_pending_request_count", c, null, null, pending.getOrDefault(c.model, 0L));
      }
    }
    family(w, "nv_inference_request_duration_us", "counter",
        "Cumulative inference request duration in microseconds, at the frontend (queue and compute included)",
        cells, c -> c.requestDurationUs.sum());
    family(w, "nv_inference_queue_duration_us", "counter",
        "Cumulative inference queuing duration in microseconds (arrival at the GPU to its batch's start)", cells,
        c -> c.queueDurationUs.sum());
    family(w, "nv_inference_compute_infer_duration_us", "counter",
        "Cumulative compute inference duration in microseconds (a batch's start to its outputs, per request)",
        cells, c -> c.computeDurationUs.sum());
  }

  private interface Value {
    long of(Cell c);
  }

  private static void family(Writer w, String name, String type, String help, List<Cell> cells, Value value)
      throws IOException {
    header(w, name, type, help);
    for (Cell c : cells) {
      sample(w, name, c, null, null, value.of(c));
    }
  }

  private static void header(Writer w, String name, String type, String help) throws IOException {
    w.write("# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n");
  }

  private static void sample(Writer w, String name, Cell c, String label, String labelValue, long value)
      throws IOException {
    w.write(name + "{model=\"" + escape(c.model) + "\",version=\"" + c.version + "\""
        + (label == null ? "" : "," + label + "=\"" + escape(labelValue) + "\"") + "} " + value + "\n");
  }

  /** A label value as the text format wants it: backslash, double quote and newline escaped. */
  static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
