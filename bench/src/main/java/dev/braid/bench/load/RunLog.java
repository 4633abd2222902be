package dev.braid.bench.load;

import io.grpc.Status;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What one load run saw, written by the gRPC callbacks of many calls at once without a lock: per
 * answered-OK call its send offset and latency (in preallocated arrays claimed by an atomic
 * index), per failed call one count under its gRPC status code, and the first failure's text.
 * Calls past the arrays' capacity are counted but their latencies dropped ({@link #dropped()}).
 */
final class RunLog {
  /** At most this many latencies are kept per run (16 bytes each, 256 MiB). */
  static final int MAX_SAMPLES = 16_000_000;

  private final long[] offsetsNanos;
  private final long[] latenciesNanos;
  private final AtomicInteger samples = new AtomicInteger();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong ok = new AtomicLong();
  private final AtomicLongArray errorsByCode = new AtomicLongArray(Status.Code.values().length);
  private final AtomicLong errors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();

  RunLog(long expectedCalls) {
    int capacity = (int) Math.min(MAX_SAMPLES, Math.max(16, expectedCalls));
    offsetsNanos = new long[capacity];
    latenciesNanos = new long[capacity];
  }

  void sent() {
    sent.incrementAndGet();
  }

  /** A call answered OK, sent (or due) at {@code offsetNanos} after the start, {@code latencyNanos} long. */
  void ok(long offsetNanos, long latencyNanos) {
    ok.incrementAndGet();
    int i = samples.getAndIncrement();
    if (i < latenciesNanos.length) {
      offsetsNanos[i] = offsetNanos;
      latenciesNanos[i] = latencyNanos;
    }
  }

  void error(Throwable t) {
    Status s = Status.fromThrowable(t);
    errorsByCode.incrementAndGet(s.getCode().ordinal());
    errors.incrementAndGet();
    firstError.compareAndSet(null, s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription()));
  }

  long sentCount() {
    return sent.get();
  }

  long okCount() {
    return ok.get();
  }

  long errorCount() {
    return errors.get();
  }

  long errorsFor(Status.Code code) {
    return errorsByCode.get(code.ordinal());
  }

  String firstError() {
    return firstError.get();
  }

  long dropped() {
    return Math.max(0, samples.get() - latenciesNanos.length);
  }

  /** Copies of the kept samples: [0] offsets, [1] latencies, in answer order. Call once the run is over. */
  long[][] samples() {
    int n = Math.min(samples.get(), latenciesNanos.length);
    return new long[][] {java.util.Arrays.copyOf(offsetsNanos, n), java.util.Arrays.copyOf(latenciesNanos, n)};
  }
}
