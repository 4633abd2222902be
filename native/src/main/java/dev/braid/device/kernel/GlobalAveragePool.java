package dev.braid.device.kernel;

import java.util.List;

/** Mean over the {@code spatial} trailing elements of each of {@code channels} (= N*C) rows. Arguments: X, Y. */
public record GlobalAveragePool(int channels, int spatial) implements Kernel {
  public GlobalAveragePool {
    Checks.positive("GlobalAveragePool", "channels", channels);
    Checks.positive("GlobalAveragePool", "spatial", spatial);
  }

  @Override
  public List<String> argNames() {
    return List.of("X", "Y");
  }

  @Override
  public long argBytes(int index) {
    return Checks.bytes(index == 0 ? (long) channels * spatial : channels);
  }

  @Override
  public long flops() {
    return (long) channels * spatial;
  }
}
