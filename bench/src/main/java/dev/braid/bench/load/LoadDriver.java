package dev.braid.bench.load;

import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Sends one request over and over to an Open Inference Protocol server's {@code ModelInfer} and
 * logs every answer, in one of two ways:
 *
 * <ul>
 *   <li>{@link #openLoop}: requests at the times {@link Arrivals} draws, whatever the answers do.
 *       Each latency runs from the request's <em>intended</em> send time, not from when it went
 *       out, so a sender that falls behind (a GC pause, a busy core) adds its delay to the
 *       latencies instead of hiding it (no coordinated omission), and a server slower than the
 *       offered rate shows its queue growing in the latencies.
 *   <li>{@link #closedLoop}: {@code concurrency} calls always in flight, each answer sending the
 *       next; latency from the actual send, throughput the server's own pace.
 * </ul>
 *
 * Callbacks run on the channel's event loop and only count and record (no per-call allocation
 * beyond gRPC's own), so the client costs the server's machine little. Each call carries the
 * deadline {@code callTimeout}; a call still unanswered {@code callTimeout} plus 5 s after the
 * last send is counted as unanswered.
 */
final class LoadDriver {
  /** Progress at one instant: seconds since the start, calls sent, OK, failed. */
  record Progress(double seconds, long sent, long ok, long errors) {}

  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
  private final ModelInferRequest request;
  private final Duration callTimeout;
  private final List<Double> percentiles;
  private final double sloMs;
  private final double thresholdMs;

  LoadDriver(ManagedChannel channel, ModelInferRequest request, Duration callTimeout, List<Double> percentiles,
      double sloMs, double thresholdMs) {
    this.stub = GRPCInferenceServiceGrpc.newStub(channel);
    this.request = request;
    this.callTimeout = callTimeout;
    this.percentiles = List.copyOf(percentiles);
    this.sloMs = sloMs;
    this.thresholdMs = thresholdMs;
  }

  /** One call of the request through {@code observer}. */
  private void send(StreamObserver<ModelInferResponse> observer) {
    stub.withDeadlineAfter(callTimeout.toNanos(), TimeUnit.NANOSECONDS).modelInfer(request, observer);
  }

  /** Sends at {@code rate}/s for {@code duration} (arrivals drawn by {@code distribution}), then waits for every answer. */
  LoadResult openLoop(double rate, Arrivals.Distribution distribution, long seed, Duration duration,
      Consumer<Progress> progress) throws InterruptedException {
    Arrivals arrivals = new Arrivals(distribution, rate, seed);
    long windowNanos = duration.toNanos();
    RunLog log = new RunLog((long) Math.ceil(rate * duration.toNanos() / 1e9 * 1.1) + 16);
    AtomicLong outstanding = new AtomicLong();
    AtomicLong lastAnswer = new AtomicLong();
    CountDownLatch allAnswered = new CountDownLatch(1);
    // The sender marks itself done by adding one to outstanding at the start and removing it at
    // the end, so the latch cannot open while requests are still being sent.
    outstanding.incrementAndGet();
    long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
    long maxLag = 0;
    long lastSend = t0;
    try (Ticker ticker = new Ticker(t0, log, progress)) {
      for (long offset = arrivals.nextOffsetNanos(); offset < windowNanos; offset = arrivals.nextOffsetNanos()) {
        long due = t0 + offset;
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        long intendedOffset = offset;
        long sentAt = System.nanoTime();
        maxLag = Math.max(maxLag, sentAt - due);
        lastSend = sentAt;
        outstanding.incrementAndGet();
        log.sent();
        send(new StreamObserver<>() {
          @Override
          public void onNext(ModelInferResponse value) {}

          @Override
          public void onError(Throwable t) {
            log.error(t);
            done();
          }

          @Override
          public void onCompleted() {
            long now = System.nanoTime();
            log.ok(intendedOffset, now - due);
            done();
          }

          private void done() {
            lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
            if (outstanding.decrementAndGet() == 0) {
              allAnswered.countDown();
            }
          }
        });
      }
      if (outstanding.decrementAndGet() == 0) {
        allAnswered.countDown();
      }
      allAnswered.await(callTimeout.toNanos() + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
    }
    double seconds = Math.max(windowNanos, lastAnswer.get() - t0) / 1e9;
    return LoadResult.of("open-loop", rate, 0, seconds, Math.max(windowNanos, lastSend - t0) / 1e9, maxLag / 1e6, log,
        percentiles, sloMs, thresholdMs);
  }

  /** Keeps {@code concurrency} calls in flight for {@code duration}, then waits for the last answers. */
  LoadResult closedLoop(int concurrency, Duration duration, Consumer<Progress> progress)
      throws InterruptedException {
    long windowNanos = duration.toNanos();
    RunLog log = new RunLog((long) (duration.toSeconds() + 1) * 20_000L + concurrency);
    CountDownLatch lanesDone = new CountDownLatch(concurrency);
    AtomicLong lastAnswer = new AtomicLong();
    long t0 = System.nanoTime();
    long end = t0 + windowNanos;
    final class Lane implements StreamObserver<ModelInferResponse> {
      private long sentAt;

      void next() {
        long now = System.nanoTime();
        if (now - end < 0) {
          sentAt = now;
          log.sent();
          send(this);
        } else {
          lastAnswer.accumulateAndGet(now, Math::max);
          lanesDone.countDown();
        }
      }

      @Override
      public void onNext(ModelInferResponse value) {}

      @Override
      public void onError(Throwable t) {
        log.error(t);
        next();
      }

      @Override
      public void onCompleted() {
        log.ok(sentAt - t0, System.nanoTime() - sentAt);
        next();
      }
    }
    try (Ticker ticker = new Ticker(t0, log, progress)) {
      for (int i = 0; i < concurrency; i++) {
        new Lane().next();
      }
      lanesDone.await(windowNanos + callTimeout.toNanos() + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
    }
    double seconds = Math.max(windowNanos, lastAnswer.get() - t0) / 1e9;
    return LoadResult.of("closed-loop", Double.NaN, concurrency, seconds, windowNanos / 1e9, Double.NaN, log,
        percentiles, sloMs, thresholdMs);
  }

  /** Reports progress once a second on a daemon thread of its own while a run lasts. */
  private static final class Ticker implements AutoCloseable {
    private final ScheduledExecutorService timer;

    Ticker(long t0, RunLog log, Consumer<Progress> progress) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "braid-load-progress");
        t.setDaemon(true);
        return t;
      });
      long delay = Math.max(0, t0 + 1_000_000_000L - System.nanoTime());
      timer.scheduleAtFixedRate(() -> progress.accept(new Progress((System.nanoTime() - t0) / 1e9,
          log.sentCount(), log.okCount(), log.errorCount())), delay, 1_000_000_000L, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
      timer.shutdownNow();
    }
  }
}
