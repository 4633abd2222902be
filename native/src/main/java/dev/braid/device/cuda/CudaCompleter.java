package dev.braid.device.cuda;

import dev.braid.device.DeviceException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import jcuda.driver.CUresult;

/**
 * The completion thread of a {@link CudaDevice} ({@code braid-cudaN-done}): the {@link
 * CudaContext.Op}s it makes complete the caller's future there, never on the context thread, so a
 * slow callback never delays the GPU; a CUDA failure becomes a DeviceException naming the device
 * and the operation (OUT_OF_MEMORY for the driver's out-of-memory, else KERNEL_FAILED).
 * Lifecycle: made when the device opens, {@link #shutdown} when it closes; an outcome that comes
 * after completes on the context thread instead of being lost.
 */
final class CudaCompleter {
  private final String key;
  private final ExecutorService executor;

  CudaCompleter(int ordinal, String key) {
    this.key = key;
    this.executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "braid-cuda" + ordinal + "-done");
      t.setDaemon(true);
      return t;
    });
  }

  /** An Op that completes {@code f} on the completion thread, mapping CUDA failures to DeviceExceptions naming {@code label}. */
  <T> CudaContext.Op op(CompletableFuture<T> f, String label, Supplier<T> finish) {
    return new CudaContext.Op() {
      @Override
      public Object finish() {
        return finish.get();
      }

      @Override
      @SuppressWarnings("unchecked")
      public void settle(Object value, RuntimeException error) {
        Runnable done = error == null ? () -> f.complete((T) value) : () -> f.completeExceptionally(wrap(label, error));
        try {
          executor.execute(done);
        } catch (RuntimeException rejected) {
          done.run();
        }
      }
    };
  }

  private DeviceException wrap(String label, RuntimeException error) {
    if (error instanceof DeviceException d) {
      return d;
    }
    if (error instanceof CudaFailure c) {
      DeviceException.Reason reason = c.code == CUresult.CUDA_ERROR_OUT_OF_MEMORY
          ? DeviceException.Reason.OUT_OF_MEMORY : DeviceException.Reason.KERNEL_FAILED;
      return new DeviceException(reason, key + ": " + label + ": " + c.getMessage(), c);
    }
    return new DeviceException(DeviceException.Reason.KERNEL_FAILED, key + ": " + label + ": " + error, error);
  }

  void shutdown() {
    executor.shutdown();
  }
}
