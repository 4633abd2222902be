package dev.braid.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceSpecTest {
  @ParameterizedTest
  @CsvSource({"auto,auto", "cpu,cpu", "CPU,cpu", "cuda,cuda:0", "cuda:3,cuda:3", "sim-H100,sim-h100", " sim-v100 ,sim-v100"})
  void parsesEveryAcceptedForm(String text, String canonical) {
    assertEquals(canonical, DeviceSpec.parse("--device", text).toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "sim-", "cpu0"})
  void rejectsOtherFormsNamingKeyExpectedAndReceived(String text) {
    SettingsException e = assertThrows(SettingsException.class, () -> DeviceSpec.parse("--device", text));
    assertTrue(e.getMessage().startsWith("--device: expected auto, cpu, cuda"), e.getMessage());
    assertTrue(e.getMessage().endsWith("got '" + text + "'"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({"cuda:2,CUDA,2,''", "sim-a100,SIMULATED,0,a100"})
  void exposesKindOrdinalAndProfile(String text, DeviceSpec.Kind kind, int ordinal, String profile) {
    DeviceSpec spec = DeviceSpec.parse("k", text);
    assertEquals(kind, spec.kind());
    assertEquals(ordinal, spec.ordinal());
    assertEquals(profile, spec.profile());
  }
}
