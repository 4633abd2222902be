package dev.braid.gpu.engine;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceStream;
import dev.braid.device.ForwardingDevice;
import dev.braid.device.Launch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A device that works like the one it wraps until it is armed, and then fails a chosen launch the
 * way a GPU does: after {@code launches} more launches, the next one fails with the given error.
 * A sticky failure also turns {@link #healthy()} false; from then on every call fails fast, and a
 * stage of the wrapped device that completes afterwards never completes here (a device that lost
 * its context may never finish what it had). A transient failure leaves the device healthy.
 *
 * <p>With {@code hold}, the failing launch and all device work submitted after it are parked until
 * {@link #fire()}, so that a test can submit more work while the failure is pending; parked stages
 * other than the failing launch then never complete.
 */
public final class FailingDevice extends ForwardingDevice {
  /** The error a GPU's sticky failure reports: the kernel and the CUDA code. */
  public static DeviceException illegalAddress() {
    return new DeviceException(DeviceException.Reason.KERNEL_FAILED,
        "braid_gemm_f32 (grid 4x1x1, block 256x1x1): CUDA_ERROR_ILLEGAL_ADDRESS (700)");
  }

  private final AtomicInteger launchesLeft = new AtomicInteger(Integer.MAX_VALUE);
  private final CountDownLatch held = new CountDownLatch(1);
  private volatile DeviceException error;
  private volatile boolean sticky;
  private volatile boolean hold;
  private volatile boolean parking;
  private volatile boolean healthy = true;
  private volatile CompletableFuture<Void> failing;

  public FailingDevice(Device delegate) {
    super(delegate);
  }

  /** Fails the launch after the next {@code launches} ones with {@code error}. */
  public void arm(int launches, DeviceException error, boolean sticky, boolean hold) {
    this.error = error;
    this.sticky = sticky;
    this.hold = hold;
    launchesLeft.set(launches);
  }

  /** Waits until the failing launch was submitted (with {@code hold}). */
  public boolean awaitHeld(long seconds) throws InterruptedException {
    return held.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
  }

  /** Fails the held launch now. */
  public void fire() {
    if (sticky) {
      healthy = false;
    }
    failing.completeExceptionally(error);
  }

  @Override
  public boolean healthy() {
    return healthy;
  }

  @Override
  public DeviceBuffer allocate(long bytes) {
    checkHealthy();
    return delegate.allocate(bytes);
  }

  @Override
  public void free(DeviceBuffer buffer) {
    checkHealthy();
    delegate.free(buffer);
  }

  @Override
  public CompletionStage<Void> upload(float[] src, BufferSlice dst, DeviceStream stream) {
    if (!healthy) {
      return CompletableFuture.failedFuture(lost());
    }
    return parking ? new CompletableFuture<>() : guard(delegate.upload(src, dst, stream));
  }

  @Override
  public CompletionStage<float[]> download(BufferSlice src, DeviceStream stream) {
    if (!healthy) {
      return CompletableFuture.failedFuture(lost());
    }
    return parking ? new CompletableFuture<>() : guard(delegate.download(src, stream));
  }

  @Override
  public CompletionStage<Void> launch(Launch launch, DeviceStream stream) {
    if (!healthy) {
      return CompletableFuture.failedFuture(lost());
    }
    if (parking) {
      return new CompletableFuture<>();
    }
    if (launchesLeft.getAndDecrement() != 0) {
      return guard(delegate.launch(launch, stream));
    }
    launchesLeft.set(Integer.MAX_VALUE);
    failing = new CompletableFuture<>();
    if (hold) {
      parking = true;
      held.countDown();
    } else {
      fire();
    }
    return failing;
  }

  private void checkHealthy() {
    if (!healthy) {
      throw lost();
    }
  }

  private DeviceException lost() {
    return new DeviceException(DeviceException.Reason.KERNEL_FAILED, "device context lost after: "
        + error.getMessage());
  }

  /** The wrapped stage, unless the device went unhealthy before it completed: then never. */
  private <T> CompletionStage<T> guard(CompletionStage<T> stage) {
    CompletableFuture<T> out = new CompletableFuture<>();
    stage.whenComplete((v, e) -> {
      if (!healthy) {
        return;
      }
      if (e != null) {
        out.completeExceptionally(e);
      } else {
        out.complete(v);
      }
    });
    return out;
  }
}
