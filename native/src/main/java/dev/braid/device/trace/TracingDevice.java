package dev.braid.device.trace;

import dev.braid.time.NanoClock;
import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.ForwardingDevice;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Any device, its timeline recorded: a {@link ForwardingDevice} that passes every call through to
 * the device it wraps and records, in a {@link TraceRecorder}, the host time each launch and copy call occupied
 * (on the host launch path's track) and each launch's or copy's time on its stream's track. For a
 * simulated GPU use {@link SimTimeline}, which has the device's own times.
 *
 * <p>Device-side times here are observed from the host: an item ends when its stage completes (as
 * its callback sees the clock) and starts when it could have, the later of its call's return and
 * the end of the item before it on the same stream (streams run in order). On a real GPU the
 * completion is seen through the driver's callback, a few microseconds late.
 *
 * <p>Notes: an issuer that knows what a launch is for ({@code LaunchTracer}) calls {@link
 * #launching} before the launch on the same thread; without one, the {@link #context} the caller
 * set (e.g. {@code braid run}'s model and iteration) is used. Thread-safe: launches may come from
 * several engine threads and complete on the device's threads. Off costs nothing: without
 * {@code --trace} the device is not wrapped.
 */
public final class TracingDevice extends ForwardingDevice implements LaunchTracer {
  private final TraceRecorder recorder;
  private final NanoClock clock;
  private final int process;
  private final long originNanos;
  private final Map<DeviceStream, Integer> tracks = new IdentityHashMap<>();
  private final Map<Integer, Long> streamFreeNanos = new LinkedHashMap<>();
  private final ThreadLocal<LaunchNote> pending = new ThreadLocal<>();
  private volatile Map<String, Object> context = Map.of();

  /**
   * @param delegate the device whose work is recorded (closed with this one)
   * @param processName the trace's name for this device
   * @param clock the clock of the timeline; time 0 is now
   */
  public TracingDevice(Device delegate, TraceRecorder recorder, String processName, NanoClock clock) {
    super(delegate);
    this.recorder = recorder;
    this.clock = clock;
    this.process = recorder.process(processName);
    this.originNanos = clock.nanoTime();
    recorder.track(process, TraceRecorder.HOST_TRACK, "host launch path");
    track(delegate.defaultStream());
  }

  /** The wrapped device. */
  public Device delegate() {
    return delegate;
  }

  /** What launches without a note are for, from now on: a model and a request (iteration) number. */
  public void context(String model, long request) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("models", List.of(model));
    c.put("requests", List.of(request));
    context = c;
  }

  @Override
  public void launching(LaunchNote note) {
    pending.set(note);
  }

  @Override
  public void launched() {
    pending.remove();
  }

  @Override
  public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
    long t0 = now();
    CompletionStage<Void> s = delegate.upload(src, dst, stream);
    return record(s, stream, t0, "upload", "copy", Map.of("bytes", dst.lengthBytes()));
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    long t0 = now();
    CompletionStage<float[]> s = delegate.download(src, stream);
    return record(s, stream, t0, "download", "copy", Map.of("bytes", src.lengthBytes()));
  }

  @Override
  public DeviceStream createStream(int priority) {
    DeviceStream s = delegate.createStream(priority);
    track(s);
    return s;
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    long t0 = now();
    CompletionStage<Void> s = delegate.launch(launch, stream);
    Map<String, Object> args = new LinkedHashMap<>();
    String name;
    if (launch instanceof GroupedLaunch g) {
      String family = family(g.problems().get(0));
      name = family + " x" + g.problems().size();
      args.put("kernel", "grouped " + family + " x" + g.problems().size());
    } else {
      name = family((KernelLaunch) launch);
      args.put("kernel", ((KernelLaunch) launch).kernel().toString());
    }
    LaunchNote note = pending.get();
    args.putAll(note != null ? note.args() : context);
    return record(s, stream, t0, name, launch instanceof GroupedLaunch ? "super-kernel" : "kernel", args);
  }

  private static String family(KernelLaunch k) {
    return k.kernel().getClass().getSimpleName();
  }

  private long now() {
    return clock.nanoTime() - originNanos;
  }

  private synchronized int track(DeviceStream s) {
    Integer t = tracks.get(s);
    if (t == null) {
      t = 1 + tracks.size();
      tracks.put(s, t);
      recorder.track(process, t, "stream " + (t - 1) + " (priority " + s.priority() + ")");
    }
    return t;
  }

  private <T> CompletionStage<T> record(CompletionStage<T> stage, DeviceStream stream, long t0, String name,
      String category, Map<String, Object> args) {
    long t1 = now();
    int track = track(stream);
    recorder.complete(process, TraceRecorder.HOST_TRACK, category.equals("copy") ? name : "launch " + name, "host",
        t0, t1 - t0, Map.of("stream", track - 1));
    // the caller's stage completes after the event is recorded, with the device's own value or exception
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete((v, error) -> {
      try {
        long end = now();
        long start;
        synchronized (this) {
          start = Math.max(t1, streamFreeNanos.getOrDefault(track, 0L));
          streamFreeNanos.put(track, end);
        }
        Map<String, Object> a = args;
        if (error != null) {
          a = new LinkedHashMap<>(args);
          a.put("error", error.toString());
        }
        recorder.complete(process, track, name, category, start, end - start, a);
      } finally {
        if (error != null) {
          out.completeExceptionally(error);
        } else {
          out.complete(v);
        }
      }
    });
    return out;
  }
}
