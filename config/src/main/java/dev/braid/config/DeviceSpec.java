package dev.braid.config;

import java.util.Locale;
import java.util.Objects;

/**
 * Which device a GPU actor, a command or a benchmark runs on, as written on the command line and
 * in configuration: {@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}, {@code cuda-emu}
 * (CUDA GPU 0 of the emulated driver, which runs Braid's kernels on the CPU; see
 * native/src/main/cuda/emu), or {@code sim-<gpu>} (a simulated GPU profile such as {@code sim-h100}).
 *
 * @param kind what kind of device
 * @param ordinal the CUDA device ordinal (0 unless {@code cuda:N}); 0 for other kinds
 * @param profile the simulated GPU profile name, lower case; {@value #EMULATED} for {@code cuda-emu};
 *     empty for other kinds
 */
public record DeviceSpec(Kind kind, int ordinal, String profile) {
  /** The device families Braid can drive. */
  public enum Kind {
    /** CUDA when a driver loads and a GPU answers, else the CPU. */
    AUTO,
    CPU,
    CUDA,
    SIMULATED
  }

  /** The accepted forms, for error messages. */
  public static final String FORMS = "auto, cpu, cuda, cuda:N (N >= 0), cuda-emu or sim-<gpu> (e.g. sim-h100)";
  /** The CUDA spec's profile that asks for the emulated driver ({@code cuda-emu}). */
  public static final String EMULATED = "emu";

  public DeviceSpec {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(profile, "profile");
    if (ordinal < 0) {
      throw SettingsException.invalid("device ordinal", "an integer >= 0", ordinal);
    }
  }

  public static DeviceSpec cpu() {
    return new DeviceSpec(Kind.CPU, 0, "");
  }

  public static DeviceSpec auto() {
    return new DeviceSpec(Kind.AUTO, 0, "");
  }

  /**
   * Parses a device string; {@code key} names where it came from (a flag or a HOCON path) for the
   * error message.
   */
  public static DeviceSpec parse(String key, String text) {
    if (text == null) {
      throw SettingsException.invalid(key, FORMS, "null");
    }
    String s = text.trim().toLowerCase(Locale.ROOT);
    if (s.equals("auto")) {
      return auto();
    }
    if (s.equals("cpu")) {
      return cpu();
    }
    if (s.equals("cuda")) {
      return new DeviceSpec(Kind.CUDA, 0, "");
    }
    if (s.equals("cuda-emu")) {
      return new DeviceSpec(Kind.CUDA, 0, EMULATED);
    }
    if (s.startsWith("cuda:")) {
      try {
        int n = Integer.parseInt(s.substring("cuda:".length()));
        if (n >= 0) {
          return new DeviceSpec(Kind.CUDA, n, "");
        }
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
      throw SettingsException.invalid(key, FORMS, text);
    }
    if (s.startsWith("sim-") && s.length() > "sim-".length()) {
      return new DeviceSpec(Kind.SIMULATED, 0, s.substring("sim-".length()));
    }
    throw SettingsException.invalid(key, FORMS, text);
  }

  /** Whether this is {@code cuda-emu}: CUDA through the emulated driver. */
  public boolean emulated() {
    return kind == Kind.CUDA && EMULATED.equals(profile);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case AUTO -> "auto";
      case CPU -> "cpu";
      case CUDA -> emulated() ? "cuda-emu" : "cuda:" + ordinal;
      case SIMULATED -> "sim-" + profile;
    };
  }
}
