package dev.braid.gpu.engine;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceStream;
import dev.braid.device.ForwardingDevice;
import dev.braid.device.GroupedLaunch;
import dev.braid.device.KernelLaunch;
import dev.braid.device.Launch;
import dev.braid.device.kernel.Kernel;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A device that works like the one it wraps, except that once {@link Fault#arm armed} every launch
 * with a kernel the fault selects (for example, one model's convolutions) throws from {@code
 * launch} itself: a fault of one model's kernels, armed after that model passed its load. The
 * fault is shared, so every device a GPU actor opens across its restarts carries it.
 */
public final class FaultingDevice extends ForwardingDevice {
  /** Which kernels fault and how; shared by the devices of one test. */
  public static final class Fault {
    private final AtomicReference<Supplier<? extends RuntimeException>> runtime = new AtomicReference<>();
    private final AtomicReference<Supplier<? extends Error>> error = new AtomicReference<>();
    private final AtomicReference<Supplier<? extends RuntimeException>> downloads = new AtomicReference<>();
    private final Predicate<Kernel> which;
    private final AtomicInteger thrown = new AtomicInteger();

    public Fault(Predicate<Kernel> which) {
      this.which = which;
    }

    /** From now on, the selected kernels' launches throw what {@code thrown} gives. */
    public void arm(Supplier<? extends RuntimeException> thrown) {
      runtime.set(thrown);
    }

    /**
     * From now on, the selected kernels' launches throw an {@link Error} (as an assertion inside a
     * device binding would): what the engine, which fails a launch on the exceptions a device
     * reports, does not catch.
     */
    public void armError(Supplier<? extends Error> thrown) {
      error.set(thrown);
    }

    /** From now on, every download throws what {@code thrown} gives (null: none does). */
    public void armDownloads(Supplier<? extends RuntimeException> thrown) {
      downloads.set(thrown);
    }

    /** Launches that threw so far. */
    public int thrown() {
      return thrown.get();
    }

    void check(Launch launch) {
      boolean selected = launch instanceof KernelLaunch k ? which.test(k.kernel())
          : ((GroupedLaunch) launch).problems().stream().anyMatch(k -> which.test(k.kernel()));
      if (!selected) {
        return;
      }
      Supplier<? extends Error> e = error.get();
      if (e != null) {
        thrown.incrementAndGet();
        throw e.get();
      }
      Supplier<? extends RuntimeException> r = runtime.get();
      if (r != null) {
        thrown.incrementAndGet();
        throw r.get();
      }
    }
  }

  private final Fault fault;

  public FaultingDevice(Device delegate, Fault fault) {
    super(delegate);
    this.fault = fault;
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    fault.check(launch);
    return delegate.launch(launch, stream);
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    Supplier<? extends RuntimeException> thrown = fault.downloads.get();
    if (thrown != null) {
      throw thrown.get();
    }
    return delegate.download(src, stream);
  }
}
