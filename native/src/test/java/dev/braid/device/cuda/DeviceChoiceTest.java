package dev.braid.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.braid.config.DeviceSpec;
import dev.braid.config.SettingsException;
import dev.braid.device.Device;
import dev.braid.device.DeviceChoice;
import dev.braid.device.DeviceKind;
import dev.braid.device.Devices;
import dev.braid.device.cpu.CpuDevice;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** auto and cuda on a host without a GPU (these run everywhere; on a GPU host the fallback cases skip). */
class DeviceChoiceTest {
  @Test
  void autoChoosesCudaWhenAGpuAnswers() {
    DeviceChoice c = DeviceChoice.auto(new CudaProbe.Result(true, "", "NVIDIA H100 80GB HBM3", 1, 13000), 2);
    assertEquals(DeviceKind.CUDA, c.kind());
    assertEquals("device auto: chose cuda:0 (NVIDIA H100 80GB HBM3): the CUDA driver 13.0 answered with 1 GPU", c.logLine());
  }

  @Test
  void autoChoosesTheCpuWithTheProbesReason() {
    DeviceChoice c = DeviceChoice.auto(
        new CudaProbe.Result(false, "no CUDA driver (libcuda.so.1 not found)", "", 0, 0), 2);
    assertEquals(DeviceKind.CPU, c.kind());
    assertEquals("device auto: chose cpu (2 threads): no CUDA driver (libcuda.so.1 not found)", c.logLine());
    assertEquals("device auto: chose cpu (4 threads): cuda:0 failed to open: boom",
        DeviceChoice.afterOpenFailure(4, "boom").logLine());
  }

  @Test
  void probeNeverThrowsAndNamesTheMissingDriver() {
    CudaProbe.Result r = CudaProbe.probe(0);
    CudaProbe.Result again = CudaProbe.probe(3);
    assumeFalse(r.available(), "this host has a GPU");
    assertEquals("no CUDA driver (libcuda.so.1 not found)", r.reason());
    assertEquals(r.reason(), again.reason(), "the binding's failure is cached, not a NoClassDefFoundError");
  }

  @Test
  void reasonForALinkErrorNamesLibcudaOnlyWhenThatIsMissing() {
    assertEquals("no CUDA driver (libcuda.so.1 not found)", CudaProbe.reasonFor(new UnsatisfiedLinkError(
        "Error while loading native library\n/tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file")));
    assertEquals("JCuda's driver binding failed to load: UnsatisfiedLinkError: no JCudaDriver in java.library.path",
        CudaProbe.reasonFor(new UnsatisfiedLinkError("no JCudaDriver in java.library.path\nmore")));
  }

  @Test
  void autoFallsBackToTheCpuLoggingExactlyOneLine() {
    assumeFalse(CudaProbe.probe(0).available(), "this host has a GPU");
    Logger log = (Logger) LoggerFactory.getLogger(Devices.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    log.addAppender(appender);
    try (Device d = Devices.open("--device", DeviceSpec.auto(), 2)) {
      assertInstanceOf(CpuDevice.class, d);
    } finally {
      log.detachAppender(appender);
    }
    List<String> lines = appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(List.of("device auto: chose cpu (2 threads): no CUDA driver (libcuda.so.1 not found)"), lines);
  }

  @Test
  void cudaFailsWithAClearMessageWhereNoDriverExists() {
    assumeFalse(CudaProbe.probe(0).available(), "this host has a GPU");
    SettingsException e = assertThrows(SettingsException.class,
        () -> Devices.open("--device", DeviceSpec.parse("--device", "cuda:1"), 2));
    assertEquals("--device: device 'cuda:1' unavailable: no CUDA driver (libcuda.so.1 not found)", e.getMessage());
    dev.braid.device.DeviceException d = assertThrows(dev.braid.device.DeviceException.class, () -> CudaDevice.open(0));
    assertTrue(d.getMessage().startsWith("device 'cuda:0' unavailable: no CUDA driver"), d.getMessage());
  }
}
