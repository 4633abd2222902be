package dev.braid.device.conformance;

import dev.braid.device.Device;
import dev.braid.device.cuda.CudaDevice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * {@link ConvNdConformanceTest}'s table on CUDA (a GPU, or the emulated driver): the same models
 * against ONNX Runtime, run by braid_conv_nd_f32. {@code mvn -Dgroups=gpu -Dbraid.cuda.emulator=1
 * -pl native -am test -Dtest=ConvNdConformanceGpuTest} without a GPU.
 */
@Tag("gpu")
class ConvNdConformanceGpuTest extends ConvNdConformanceTest {
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
