package dev.braid.bench.gpucheck;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceStream;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.kernel.Kernel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs kernels on a {@link Device} through its SPI alone: one buffer per argument, inputs
 * uploaded, the launch (single or grouped), outputs downloaded, buffers freed. Every wait is
 * bounded by {@link #WAIT}, so a device that never completes fails the case instead of hanging the
 * check.
 */
final class KernelRunner implements AutoCloseable {
  /** Longest wait for one launch or copy: far above any kernel here (ms), short against the step's budget. */
  static final Duration WAIT = Duration.ofSeconds(60);

  private final Device device;
  private final DeviceStream stream;
  private final List<DeviceBuffer> buffers = new ArrayList<>();

  KernelRunner(Device device) {
    this.device = device;
    this.stream = device.defaultStream();
  }

  /** Problems of one launch, their argument slices allocated, inputs not yet uploaded. */
  record Prepared(Launch launch, List<KernelLaunch> problems) {}

  /** Allocates one buffer per argument of each kernel; {@code grouped} makes one super-kernel of them. */
  Prepared prepare(List<Kernel> kernels, boolean grouped) {
    List<KernelLaunch> problems = new ArrayList<>();
    for (Kernel k : kernels) {
      List<BufferSlice> args = new ArrayList<>();
      for (int a = 0; a < k.argNames().size(); a++) {
        DeviceBuffer b = device.allocate(Math.max(4, k.argBytes(a)));
        buffers.add(b);
        args.add(b.slice(0, k.argBytes(a)));
      }
      problems.add(new KernelLaunch(k, args));
    }
    Launch launch = grouped ? new GroupedLaunch(problems) : problems.get(0);
    return new Prepared(launch, problems);
  }

  /** Uploads {@code values[p][a]} to input {@code a} of problem {@code p}. */
  void upload(Prepared p, List<List<float[]>> values) throws Exception {
    for (int i = 0; i < p.problems().size(); i++) {
      KernelLaunch kl = p.problems().get(i);
      int inputs = kl.kernel().argNames().size() - kl.kernel().outputCount();
      for (int a = 0; a < inputs; a++) {
        if (kl.args().get(a).lengthBytes() > 0) {
          await(device.upload(values.get(i).get(a), kl.args().get(a), stream), "upload");
        }
      }
    }
  }

  /** Launches and waits. */
  void launch(Prepared p) throws Exception {
    await(device.launch(p.launch(), stream), "launch");
  }

  /** The outputs of each problem, concatenated when a kernel has several. */
  List<float[]> outputs(Prepared p) throws Exception {
    List<float[]> out = new ArrayList<>();
    for (KernelLaunch kl : p.problems()) {
      int n = kl.kernel().argNames().size();
      float[] all = new float[0];
      for (int a = n - kl.kernel().outputCount(); a < n; a++) {
        float[] o = kl.args().get(a).lengthBytes() == 0 ? new float[0]
            : await(device.download(kl.args().get(a), stream), "download");
        float[] joined = Arrays.copyOf(all, all.length + o.length);
        System.arraycopy(o, 0, joined, all.length, o.length);
        all = joined;
      }
      out.add(all);
    }
    return out;
  }

  /**
   * Wall nanoseconds of {@code p}'s launch: each of {@code repeats} measured alone, host call to
   * completion (what {@code SimulatedDevice.estimateNanos} predicts), after {@code warmup} untimed
   * runs. Returns the samples sorted.
   */
  long[] time(Prepared p, int warmup, int repeats) throws Exception {
    for (int i = 0; i < warmup; i++) {
      launch(p);
    }
    long[] ns = new long[repeats];
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      launch(p);
      ns[i] = System.nanoTime() - t0;
    }
    Arrays.sort(ns);
    return ns;
  }

  /**
   * Wall nanoseconds per launch of {@code count} launches of {@code p} enqueued back to back on
   * one stream: host launch cost overlapped with the kernels, as a busy engine sees them.
   */
  double pipelinedNanos(Prepared p, int count) throws Exception {
    List<CompletionStage<Void>> stages = new ArrayList<>(count);
    long t0 = System.nanoTime();
    for (int i = 0; i < count; i++) {
      stages.add(device.launch(p.launch(), stream));
    }
    for (CompletionStage<Void> s : stages) {
      await(s, "launch");
    }
    return (System.nanoTime() - t0) / (double) count;
  }

  /** Frees every buffer this launcher allocated. */
  @Override
  public void close() {
    for (DeviceBuffer b : buffers) {
      device.free(b);
    }
    buffers.clear();
  }

  static <T> T await(CompletionStage<T> stage, String what) throws Exception {
    try {
      return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception c ? c : e;
    } catch (TimeoutException e) {
      throw new TimeoutException(what + " did not complete within " + WAIT.toSeconds() + " s");
    }
  }
}
