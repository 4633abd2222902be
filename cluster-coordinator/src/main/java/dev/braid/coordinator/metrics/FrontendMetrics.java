package dev.braid.coordinator.metrics;

import dev.braid.coordinator.admission.Decision;
import dev.braid.protocol.cluster.FailureReason;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * A frontend's metrics: the Triton request counters of each model it answers, and Braid's own
 * ({@code braid_frontend_admissions_total}, {@code braid_frontend_refusals_total{reason}}, {@code
 * braid_frontend_retries_total}, {@code braid_slo_requests_total}, {@code
 * braid_goodput_requests_total}, {@code braid_deadline_misses_total{reason}}, {@code
 * braid_request_duration_seconds} with buckets).
 *
 * <p>Two hooks feed it: the inference service {@link #track}s every ModelInfer of a model the
 * cluster serves (Triton's success, failure and duration, and the latency histogram), and the
 * cluster client reports admission, refusal, retry and each admitted request's end. A request's
 * SLO is its own deadline (the earliest of its deadline parameter, the call's deadline and
 * {@code braid.frontend.default-timeout}): it is <em>met</em> when outputs came back by then.
 * Goodput counts those; misses count the rest by reason: {@code refused} (admission refused it at
 * once), {@code too_late} (its deadline passed on the way: DEADLINE_EXCEEDED, or outputs after
 * the deadline), {@code failed} (any other error).
 *
 * <p>Cost: per model, one map lookup finds the data points; counters and histograms are the
 * Prometheus client's lock-free ones (exemplars off). Model labels only take names the cluster
 * serves ({@code known}); others count under {@code model="_unknown"}, so a client cannot grow
 * the label set. A disabled instance ({@link #disabled()}) returns from every hook at once.
 */
public final class FrontendMetrics {
  /** The label of models the cluster does not serve. */
  public static final String UNKNOWN_MODEL = "_unknown";
  /** Buckets of the latency histogram, in seconds: 0.5 ms to 10 s, about x2.5 apart. */
  static final double[] LATENCY_BUCKETS = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  /** The data points of one model, found once per request. */
  private final class PerModel {
    final CounterDataPoint admissions;
    final CounterDataPoint retries;
    final CounterDataPoint sloRequests;
    final CounterDataPoint goodput;
    final CounterDataPoint missRefused;
    final CounterDataPoint missTooLate;
    final CounterDataPoint missFailed;
    final CounterDataPoint[] refusals = new CounterDataPoint[FailureReason.values().length];
    final DistributionDataPoint latency;

    PerModel(String model) {
      admissions = admissionsCounter.labelValues(model);
      retries = retriesCounter.labelValues(model);
      sloRequests = sloRequestsCounter.labelValues(model);
      goodput = goodputCounter.labelValues(model);
      missRefused = missesCounter.labelValues(model, "refused");
      missTooLate = missesCounter.labelValues(model, "too_late");
      missFailed = missesCounter.labelValues(model, "failed");
      for (FailureReason r : Decision.REFUSALS) {
        refusals[r.ordinal()] = refusalsCounter.labelValues(model, r.name().toLowerCase(Locale.ROOT));
      }
      latency = latencyHistogram.labelValues(model);
    }
  }

  private final boolean enabled;
  private final TritonMetrics triton;
  private final Predicate<String> known;
  private final ToLongFunction<String> servedVersion;
  private final Map<String, PerModel> models = new ConcurrentHashMap<>();
  private Counter admissionsCounter;
  private Counter refusalsCounter;
  private Counter retriesCounter;
  private Counter sloRequestsCounter;
  private Counter goodputCounter;
  private Counter missesCounter;
  private Histogram latencyHistogram;

  private FrontendMetrics(boolean enabled, TritonMetrics triton, Predicate<String> known,
      ToLongFunction<String> servedVersion) {
    this.enabled = enabled;
    this.triton = triton;
    this.known = known;
    this.servedVersion = servedVersion;
  }

  /** Records nothing. */
  public static FrontendMetrics disabled() {
    return new FrontendMetrics(false, null, m -> false, m -> -1);
  }

  /**
   * Registers the frontend's families with {@code registry}.
   *
   * @param known whether the cluster serves a model of that name (the latest routing table)
   * @param servedVersion the version the cluster serves of a model; -1 when none
   */
  static FrontendMetrics register(PrometheusRegistry registry, TritonMetrics triton, Predicate<String> known,
      ToLongFunction<String> servedVersion) {
    FrontendMetrics f = new FrontendMetrics(true, triton, known, servedVersion);
    f.admissionsCounter = counter(registry, "braid_frontend_admissions_total",
        "Requests admitted by this frontend and sent to a GPU (a retry is not counted again)", "model");
    f.refusalsCounter = counter(registry, "braid_frontend_refusals_total",
        "Requests refused at once by admission, by reason (unknown_model, no_replica, over_quota, overloaded, "
            + "deadline_unreachable, retry_impossible)", "model", "reason");
    f.retriesCounter = counter(registry, "braid_frontend_retries_total",
        "Requests sent to a second replica after the first failed UNAVAILABLE, went away or did not answer", "model");
    f.sloRequestsCounter = counter(registry, "braid_slo_requests_total",
        "Requests that reached admission: the denominator of SLO attainment", "model");
    f.goodputCounter = counter(registry, "braid_goodput_requests_total",
        "Requests answered with outputs by their deadline (goodput is its rate; SLO attainment its rate over "
            + "braid_slo_requests_total's)", "model");
    f.missesCounter = counter(registry, "braid_deadline_misses_total",
        "Requests that did not get outputs by their deadline, by reason: refused (at admission), too_late "
            + "(the deadline passed on the way), failed (another error)", "model", "reason");
    f.latencyHistogram = Histogram.builder().name("braid_request_duration_seconds")
        .help("ModelInfer latency at the frontend of requests answered with outputs, in seconds")
        .labelNames("model").classicOnly().classicUpperBounds(LATENCY_BUCKETS).withoutExemplars().register(registry);
    return f;
  }

  private static Counter counter(PrometheusRegistry registry, String name, String help, String... labels) {
    return Counter.builder().name(name).help(help).labelNames(labels).withoutExemplars().register(registry);
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * Counts {@code response} under Triton's names when it completes: success or failure (by gRPC
   * status) and its duration since {@code startNanos} ({@link System#nanoTime}); a success also
   * goes to the latency histogram. Requests for a model the cluster does not serve are not
   * counted here (their refusal is, under {@link #UNKNOWN_MODEL}).
   */
  public <T> CompletionStage<T> track(String model, long startNanos, CompletionStage<T> response) {
    if (!enabled || !known.test(model)) {
      return response;
    }
    TritonMetrics.Cell cell = triton.cell(model, servedVersion.applyAsLong(model));
    PerModel m = of(model);
    return response.whenComplete((r, failure) -> {
      long nanos = System.nanoTime() - startNanos;
      if (failure == null) {
        cell.succeeded(nanos);
        m.latency.observe(nanos / 1e9);
      } else {
        cell.failed(Status.fromThrowable(failure).getCode(), nanos);
      }
    });
  }

  /** Triton's statistics of {@code model}'s versions (every model's when empty) as this node counted them; none when off. */
  public List<TritonMetrics.Statistics> statistics(String model) {
    return enabled ? triton.statistics(model) : List.of();
  }

  /** Admission sent a request of {@code model} to a replica. */
  public void admitted(String model) {
    if (enabled) {
      PerModel m = of(model);
      m.admissions.inc();
      m.sloRequests.inc();
    }
  }

  /** Admission refused a request of {@code model} at once. */
  public void refused(String model, FailureReason reason) {
    if (enabled) {
      PerModel m = of(model);
      m.refusals[reason.ordinal()].inc();
      m.sloRequests.inc();
      m.missRefused.inc();
    }
  }

  /** A request of {@code model} went to a second replica. */
  public void retried(String model) {
    if (enabled) {
      of(model).retries.inc();
    }
  }

  /**
   * An admitted request of {@code model} ended: with outputs ({@code code} OK), by its deadline
   * or not ({@code inTime}), or failed with {@code code}.
   */
  public void ended(String model, Status.Code code, boolean inTime) {
    if (!enabled) {
      return;
    }
    PerModel m = of(model);
    if (code == Status.Code.OK && inTime) {
      m.goodput.inc();
    } else if (code == Status.Code.OK || code == Status.Code.DEADLINE_EXCEEDED) {
      m.missTooLate.inc();
    } else {
      m.missFailed.inc();
    }
  }

  private PerModel of(String model) {
    PerModel m = models.get(model);
    if (m != null) {
      return m;
    }
    String label = known.test(model) ? model : UNKNOWN_MODEL;
    return models.computeIfAbsent(label, PerModel::new);
  }
}
