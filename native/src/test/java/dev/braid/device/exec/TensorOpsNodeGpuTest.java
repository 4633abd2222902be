package dev.braid.device.exec;

import dev.braid.device.Device;
import dev.braid.device.cuda.CudaDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link TensorOpsNodeTest}'s cases on CUDA (a GPU, or the emulated driver): the same models,
 * expected outputs and tolerances, run by the CUDA kernels. {@code mvn -Dgroups=gpu -pl native -am
 * test -Dtest=TensorOpsNodeGpuTest}.
 */
@Tag("gpu")
class TensorOpsNodeGpuTest extends TensorOpsNodeTest {
  private static CudaDevice gpu;

  @BeforeAll
  static void open() {
    gpu = CudaDevice.open(0);
  }

  @AfterAll
  static void closeGpu() {
    if (gpu != null) {
      gpu.close();
    }
  }

  @Override
  Device device() {
    return gpu;
  }
}
