package dev.braid.device.cuda;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One parameter of a {@code cuLaunchKernel} call, typed as the kernel declares it (README.md in
 * native/src/main/cuda). Plain values, so that packing is tested on the CPU; CudaDevice turns a
 * list of them into JCuda's {@code Pointer} array on the context thread only.
 */
public sealed interface KernelParam {
  /** A device address (an 8-byte pointer parameter). */
  record Ptr(long address) implements KernelParam {
    @Override
    public String toString() {
      return "ptr 0x" + Long.toHexString(address);
    }
  }

  /** A 4-byte {@code int32_t}. */
  record I32(int value) implements KernelParam {
    @Override
    public String toString() {
      return "i32 " + value;
    }
  }

  /** An 8-byte {@code long long}. */
  record I64(long value) implements KernelParam {
    @Override
    public String toString() {
      return "i64 " + value;
    }
  }

  /** A 4-byte {@code float}. */
  record F32(float value) implements KernelParam {
    @Override
    public String toString() {
      return "f32 " + value;
    }
  }

  /** A struct passed by value: its exact little-endian bytes. */
  record Struct(String type, byte[] bytes) implements KernelParam {
    public Struct {
      bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Struct s && type.equals(s.type) && Arrays.equals(bytes, s.bytes);
    }

    @Override
    public int hashCode() {
      return type.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return type + " (" + bytes.length + " B) " + HexFormat.of().formatHex(bytes, 0, Math.min(16, bytes.length)) + "...";
    }
  }
}
