package dev.braid.bench.faults;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The gRPC clients that load a {@link LocalCluster} and write every request into a {@link Ledger}:
 * closed loops (a fixed number of calls in flight), an open loop (calls at a fixed rate, whether or
 * not earlier ones were answered), and a client that cancels its calls or lets them expire. Each
 * request carries a unique OIP {@code id} (the ledger's), so that the nodes' {@code executed}
 * events can be joined to it.
 *
 * <p>A call's client-side gRPC deadline is the request's own deadline plus {@link #GRACE_MS}: the
 * cluster must have answered by then (a result, or its own DEADLINE_EXCEEDED), so a client-side
 * expiry is a request left without an answer ({@link Ledger.Outcome#NONE}).
 */
public final class LoadClients implements AutoCloseable {
  /** How long past a request's deadline the client waits for the cluster's answer. */
  public static final long GRACE_MS = 5000;

  private final Ledger ledger;
  private final ModelOracle oracle;
  private final Supplier<List<ManagedChannel>> frontends;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicLong sequence = new AtomicLong();
  private final Map<String, Long> cancelledAtEpochMs = new ConcurrentHashMap<>();

  /**
   * @param frontends the channels to the frontends that serve now (asked before each call, so a
   *     client moves on when one dies)
   */
  public LoadClients(Ledger ledger, ModelOracle oracle, Supplier<List<ManagedChannel>> frontends) {
    this.ledger = ledger;
    this.oracle = oracle;
    this.frontends = frontends;
  }

  /** Clients of {@code cluster}'s live frontends. */
  public static LoadClients of(LocalCluster cluster, Ledger ledger, ModelOracle oracle) {
    return new LoadClients(ledger, oracle, () -> cluster.frontends().stream().map(cluster::channel).toList());
  }

  private ManagedChannel pick(long n) {
    List<ManagedChannel> all = frontends.get();
    if (all.isEmpty()) {
      throw new IllegalStateException("no frontend serves");
    }
    return all.get((int) Math.floorMod(n, (long) all.size()));
  }

  /** One request opened in the ledger: its entry, its oracle key, the frontend it goes to and the request itself. */
  private record Call(Ledger.Entry entry, long key, ManagedChannel channel, ModelInferRequest request) {}

  /**
   * Opens a request of {@code deadlineMs} for {@code client} in the ledger and picks its frontend
   * by {@code n}; null, with the request recorded as UNAVAILABLE, when no frontend serves.
   */
  private Call open(String client, long deadlineMs, long n) {
    Ledger.Entry e = ledger.open(client, deadlineMs);
    long k = sequence.incrementAndGet();
    ManagedChannel ch;
    try {
      ch = pick(n);
    } catch (IllegalStateException noFrontend) {
      ledger.failed(e, Status.UNAVAILABLE.withDescription("client: " + noFrontend.getMessage()), false);
      return null;
    }
    return new Call(e, k, ch, oracle.request(e.id(), k, deadlineMs));
  }

  /** Runs {@code loop} on a daemon thread named after its client, joined by {@link #close}. */
  private void start(Runnable loop, String client) {
    Thread th = new Thread(loop, "faults-" + client);
    th.setDaemon(true);
    th.start();
    threads.add(th);
  }

  /** Starts {@code count} closed-loop clients, each with one call in flight, requests of {@code deadlineMs}. */
  public void closedLoop(String name, int count, long deadlineMs) {
    for (int t = 0; t < count; t++) {
      String client = name + t;
      int offset = t;
      start(() -> {
        long n = offset;
        while (running.get()) {
          Call call = open(client, deadlineMs, n);
          if (call == null) {
            sleep(50);
            continue;
          }
          try {
            ModelInferResponse r = GRPCInferenceServiceGrpc.newBlockingStub(call.channel())
                .withDeadlineAfter(deadlineMs + GRACE_MS, TimeUnit.MILLISECONDS)
                .modelInfer(call.request());
            ledger.answered(call.entry(), oracle.isCorrect(call.key(), r));
          } catch (StatusRuntimeException ex) {
            recordFailure(call.entry(), ex.getStatus(), false);
            Status.Code c = ex.getStatus().getCode();
            if (c == Status.Code.UNAVAILABLE || c == Status.Code.RESOURCE_EXHAUSTED) {
              n++; // try the next frontend, after a breath
              sleep(20);
            }
          }
        }
      }, client);
    }
  }

  /**
   * Starts an open loop: calls at {@code ratePerSecond} (constant spacing), each of {@code
   * deadlineMs}, until {@link #close}. Latency counts from the intended send time.
   */
  public void openLoop(String name, double ratePerSecond, long deadlineMs) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("ratePerSecond: expected > 0, got " + ratePerSecond);
    }
    long periodNanos = (long) (1e9 / ratePerSecond);
    start(() -> {
      long next = System.nanoTime();
      long n = 0;
      while (running.get()) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
          continue;
        }
        next += periodNanos;
        Call call = open(name, deadlineMs, n++);
        if (call == null) {
          continue;
        }
        outstanding.incrementAndGet();
        GRPCInferenceServiceGrpc.newStub(call.channel()).withDeadlineAfter(deadlineMs + GRACE_MS, TimeUnit.MILLISECONDS)
            .modelInfer(call.request(), new StreamObserver<>() {
              @Override
              public void onNext(ModelInferResponse r) {
                ledger.answered(call.entry(), oracle.isCorrect(call.key(), r));
              }

              @Override
              public void onError(Throwable t) {
                recordFailure(call.entry(), Status.fromThrowable(t), false);
                outstanding.decrementAndGet();
              }

              @Override
              public void onCompleted() {
                outstanding.decrementAndGet();
              }
            });
      }
    }, name);
  }

  /**
   * Starts a client that sends {@code ratePerSecond} calls and gives each up: even-numbered calls
   * are cancelled 0 to 3 ms after they are sent; odd-numbered ones carry a deadline of {@code
   * expiredDeadlineMs} (so short the cluster cannot run them in time). Cancelled calls are recorded
   * with their cancel time ({@link #cancelledAtEpochMs}).
   */
  public void givingUp(String name, double ratePerSecond, long expiredDeadlineMs) {
    long periodNanos = (long) (1e9 / ratePerSecond);
    start(() -> {
      SplittableRandom rnd = new SplittableRandom(42);
      long n = 0;
      while (running.get()) {
        LockSupport.parkNanos(periodNanos);
        boolean cancel = (n++ & 1) == 0;
        long deadlineMs = cancel ? 10_000 : expiredDeadlineMs;
        Call call = open(name + (cancel ? "-cancel" : "-expire"), deadlineMs, n);
        if (call == null) {
          continue;
        }
        Ledger.Entry e = call.entry();
        outstanding.incrementAndGet();
        ListenableFuture<ModelInferResponse> f = GRPCInferenceServiceGrpc.newFutureStub(call.channel())
            .withDeadlineAfter(deadlineMs + GRACE_MS, TimeUnit.MILLISECONDS)
            .modelInfer(call.request());
        Futures.addCallback(f, new FutureCallback<>() {
          @Override
          public void onSuccess(ModelInferResponse r) {
            ledger.answered(e, oracle.isCorrect(call.key(), r));
            outstanding.decrementAndGet();
          }

          @Override
          public void onFailure(Throwable t) {
            Status s = Status.fromThrowable(t);
            boolean byClient = cancelledAtEpochMs.containsKey(e.id());
            recordFailure(e, byClient ? Status.CANCELLED.withDescription("cancelled by the client") : s, byClient);
            outstanding.decrementAndGet();
          }
        }, MoreExecutors.directExecutor());
        if (cancel) {
          LockSupport.parkNanos(rnd.nextLong(3_000_000));
          cancelledAtEpochMs.put(e.id(), System.currentTimeMillis());
          if (!f.cancel(true)) {
            cancelledAtEpochMs.remove(e.id()); // answered before the cancel
          }
        }
      }
    }, name);
  }

  /** Epoch milliseconds at which the client cancelled each cancelled request, by request id. */
  public Map<String, Long> cancelledAtEpochMs() {
    return Map.copyOf(cancelledAtEpochMs);
  }

  private void recordFailure(Ledger.Entry e, Status s, boolean byClient) {
    double elapsed = ledger.nowMs() - e.sentMs();
    if (!byClient && s.getCode() == Status.Code.DEADLINE_EXCEEDED && elapsed >= e.deadlineMs() + GRACE_MS - 50) {
      ledger.none(e, "no answer within " + (e.deadlineMs() + GRACE_MS) + " ms: " + s.getDescription());
    } else {
      ledger.failed(e, s, byClient);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops sending, waits for the calls in flight to end (each ends by its client deadline at the
   * latest) and closes what is still open in the ledger as {@link Ledger.Outcome#NONE}.
   */
  @Override
  public void close() {
    running.set(false);
    try {
      for (Thread th : threads) {
        th.join(60_000);
      }
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (outstanding.get() > 0 && System.nanoTime() < giveUp) {
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller stops too; what is open is closed below
    }
    ledger.closeOpen("the run ended with the request open");
  }
}
