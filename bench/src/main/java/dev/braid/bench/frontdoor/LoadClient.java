package dev.braid.bench.frontdoor;

import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * One grpc-java async client (one channel, one HTTP/2 connection) driving one server, the same
 * code for both servers. Callbacks run on the channel's event loop ({@code directExecutor}): they
 * only count, record a latency and maybe send the next call, so a hop to another thread would only
 * add client cost to both sides alike.
 *
 * <p>Two ways to load: {@link #closedLoop} keeps {@code inFlight} calls outstanding (each answer
 * sends the next), which finds the server's maximum rate; {@link #openLoop} sends at a fixed
 * interval whatever the answers do, and times each call from when it was due (not when it went
 * out), so a client that falls behind does not hide the server's queueing.
 */
final class LoadClient implements AutoCloseable {
  /** How long one call may take before it counts as an error (DEADLINE_EXCEEDED). */
  static final long CALL_DEADLINE_SECONDS = 30;

  /** One phase's counts and latencies. {@code unanswered} calls got neither a reply nor an error. */
  record Phase(String server, String mode, double seconds, long sent, long ok, long errors, long unanswered,
      double rate, double offeredRate, double p50Ms, double p99Ms, String firstError) {}

  private final String name;
  private final ManagedChannel channel;
  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub stub;
  private final ModelInferRequest request;

  LoadClient(String name, String host, int port, ModelInferRequest request) {
    this(name, host, port, request, InsecureChannelCredentials.create());
  }

  /** A client over {@code credentials} (TLS for {@link TlsFrontDoor}). */
  LoadClient(String name, String host, int port, ModelInferRequest request, ChannelCredentials credentials) {
    this.name = name;
    this.channel = NettyChannelBuilder.forAddress(host, port, credentials).directExecutor().build();
    this.stub = GRPCInferenceServiceGrpc.newStub(channel);
    this.request = request;
  }

  /** One blocking call, to check the server answers what it should before timing it. */
  ModelInferResponse once() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS)
        .modelInfer(request);
  }

  /** Latencies of one phase, in nanoseconds; samples past the capacity are counted but dropped. */
  private static final class Recorder {
    final long[] samples;
    final AtomicInteger n = new AtomicInteger();
    final AtomicLong ok = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicReference<String> firstError = new AtomicReference<>();

    Recorder(long capacity) {
      samples = new long[(int) Math.min(capacity, 16_000_000L)];
    }

    void ok(long nanos) {
      ok.incrementAndGet();
      int i = n.getAndIncrement();
      if (i < samples.length) {
        samples[i] = nanos;
      }
    }

    void error(Throwable t) {
      errors.incrementAndGet();
      firstError.compareAndSet(null, Status.fromThrowable(t).toString());
    }

    long answered() {
      return ok.get() + errors.get();
    }

    double[] percentilesMs(double... ps) {
      long[] s = Arrays.copyOf(samples, Math.min(n.get(), samples.length));
      Arrays.sort(s);
      double[] r = new double[ps.length];
      for (int i = 0; i < ps.length; i++) {
        r[i] = s.length == 0 ? Double.NaN : s[(int) Math.min(s.length - 1, Math.ceil(ps[i] * s.length) - 1)] / 1e6;
      }
      return r;
    }
  }

  /** {@code inFlight} calls outstanding for {@code seconds}; the rate is answers over elapsed time. */
  Phase closedLoop(int inFlight, double seconds) throws InterruptedException {
    long durationNanos = (long) (seconds * 1e9);
    Recorder rec = new Recorder((long) (seconds * 100_000) + inFlight);
    AtomicLong sent = new AtomicLong();
    CountDownLatch lanesDone = new CountDownLatch(inFlight);
    AtomicLong lastAnswer = new AtomicLong();
    long start = System.nanoTime();
    long end = start + durationNanos;
    class Lane implements StreamObserver<ModelInferResponse> {
      long sentAt;

      void send() {
        sent.incrementAndGet();
        sentAt = System.nanoTime();
        stub.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS).modelInfer(request, this);
      }

      @Override
      public void onNext(ModelInferResponse value) {}

      @Override
      public void onError(Throwable t) {
        rec.error(t);
        next();
      }

      @Override
      public void onCompleted() {
        long now = System.nanoTime();
        rec.ok(now - sentAt);
        next();
      }

      private void next() {
        long now = System.nanoTime();
        if (now < end) {
          send();
        } else {
          lastAnswer.accumulateAndGet(now, Math::max);
          lanesDone.countDown();
        }
      }
    }
    for (int i = 0; i < inFlight; i++) {
      new Lane().send();
    }
    boolean drained = lanesDone.await(durationNanos + TimeUnit.SECONDS.toNanos(CALL_DEADLINE_SECONDS + 5),
        TimeUnit.NANOSECONDS);
    double elapsed = ((drained ? lastAnswer.get() : System.nanoTime()) - start) / 1e9;
    double[] p = rec.percentilesMs(0.50, 0.99);
    return new Phase(name, "closed-loop", elapsed, sent.get(), rec.ok.get(), rec.errors.get(),
        sent.get() - rec.answered(), rec.ok.get() / elapsed, Double.NaN, p[0], p[1], rec.firstError.get());
  }

  /**
   * Sends at {@code rate} calls/s at a fixed interval for {@code seconds}, then waits for every
   * answer. Latency runs from each call's due time.
   */
  Phase openLoop(double rate, double seconds) throws InterruptedException {
    long interval = Math.max(1, (long) (1e9 / rate));
    long count = Math.max(1, (long) (seconds * rate));
    Recorder rec = new Recorder(count);
    CountDownLatch answers = new CountDownLatch((int) count);
    AtomicLong lastAnswer = new AtomicLong();
    long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
    for (long i = 0; i < count; i++) {
      long due = t0 + i * interval;
      long wait;
      while ((wait = due - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait);
      }
      stub.withDeadlineAfter(CALL_DEADLINE_SECONDS, TimeUnit.SECONDS).modelInfer(request,
          new StreamObserver<>() {
            @Override
            public void onNext(ModelInferResponse value) {}

            @Override
            public void onError(Throwable t) {
              rec.error(t);
              lastAnswer.accumulateAndGet(System.nanoTime(), Math::max);
              answers.countDown();
            }

            @Override
            public void onCompleted() {
              long now = System.nanoTime();
              rec.ok(now - due);
              lastAnswer.accumulateAndGet(now, Math::max);
              answers.countDown();
            }
          });
    }
    boolean drained = answers.await(CALL_DEADLINE_SECONDS + 5, TimeUnit.SECONDS);
    // From the first due time to the last answer: a server slower than the offered rate shows its
    // own rate here, not the client's.
    double elapsed = ((drained ? lastAnswer.get() : System.nanoTime()) - t0) / 1e9;
    double[] p = rec.percentilesMs(0.50, 0.99);
    return new Phase(name, "open-loop", elapsed, count, rec.ok.get(), rec.errors.get(), count - rec.answered(),
        rec.ok.get() / Math.max(elapsed, 1e-9), 1e9 / interval, p[0], p[1], rec.firstError.get());
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
