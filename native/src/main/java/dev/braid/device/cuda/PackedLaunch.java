package dev.braid.device.cuda;

import java.util.List;

/**
 * Everything one {@link dev.braid.device.Launch} becomes on a CUDA stream, in order: host bytes
 * copied into scratch device memory (problem tables, batch offsets, zeroed status words), the
 * kernel calls, then status words read back and checked. The scratch blocks are returned to the
 * pool when the launch's completion event fires.
 *
 * @param label names the launch in error messages: the Braid kernel(s) and the CUDA function(s)
 * @param uploads host-to-device copies issued before the first call
 * @param calls kernel launches in stream order (none when the kernel has no work)
 * @param checks status words copied back after the calls; non-zero fails the launch
 * @param scratch pool addresses to free once the launch completed or failed
 */
public record PackedLaunch(String label, List<Upload> uploads, List<KernelCall> calls, List<StatusCheck> checks,
    List<Long> scratch) {
  public PackedLaunch {
    uploads = List.copyOf(uploads);
    calls = List.copyOf(calls);
    checks = List.copyOf(checks);
    scratch = List.copyOf(scratch);
  }

  /** Copies {@code bytes} to device address {@code address} before the calls. */
  public record Upload(long address, byte[] bytes) {
    public Upload {
      bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }
  }

  /**
   * A 4-byte status word at {@code address} that the kernel leaves 0 on success; otherwise the
   * launch fails with {@code failure} followed by the word's meaning (for Gather: position + 1 of
   * the bad index).
   */
  public record StatusCheck(long address, String failure) {}
}
