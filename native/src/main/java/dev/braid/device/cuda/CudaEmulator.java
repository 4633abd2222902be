package dev.braid.device.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The emulated CUDA driver ({@code native/src/main/cuda/emu}): a {@code libcuda.so.1} that runs
 * Braid's kernels on the CPU, loaded into this JVM only when asked, so that {@code --device auto}
 * never picks it by accident. Asked by {@code BRAID_CUDA_EMULATOR=1} in the environment, the
 * system property {@code braid.cuda.emulator=1}, or the device name {@code cuda-emu}
 * ({@link #request}).
 *
 * <p>How it takes the driver's place: JCuda's driver binding links against {@code libcuda.so.1}
 * by name; the dynamic linker satisfies that dependency with an already loaded library whose
 * SONAME matches, so loading the emulator first makes the binding use it (and no real driver is
 * loaded in this JVM). Both loads are once per JVM: once the binding is bound to a driver, real
 * or emulated, it stays so.
 *
 * <p>The library is found at {@code braid.cuda.emulator.library} (system property) or
 * {@code BRAID_CUDA_EMULATOR_LIBRARY} (environment), else as the class-path resource the Maven
 * build puts beside this class when g++ exists.
 */
public final class CudaEmulator {
  /** The device name (and the {@code cuda-emu} device spec's) the emulated driver reports. */
  public static final String DEVICE_NAME = "Braid emulated GPU";
  static final String RESOURCE = "/dev/braid/device/cuda/emu/libcuda.so.1";

  private static volatile boolean requested;
  private static volatile String loadedFrom;

  private CudaEmulator() {}

  /** Asks for the emulator in this JVM (before the first CUDA probe; without effect after it). */
  public static void request() {
    requested = true;
  }

  /** Whether this JVM was asked to use the emulated driver. */
  public static boolean requested() {
    return requested || "1".equals(System.getenv("BRAID_CUDA_EMULATOR"))
        || "1".equals(System.getProperty("braid.cuda.emulator")) || "true".equals(System.getProperty("braid.cuda.emulator"));
  }

  /** Whether the emulated driver is the one this JVM's CUDA binding uses. */
  public static boolean active() {
    return loadedFrom != null;
  }

  /** Where the loaded emulator came from, or empty. */
  public static String loadedFrom() {
    return loadedFrom == null ? "" : loadedFrom;
  }

  /**
   * Loads the emulated driver; null on success, else why it could not be (one line). Called by
   * {@link CudaProbe} before JCuda's binding loads.
   */
  static synchronized String load() {
    if (loadedFrom != null) {
      return null;
    }
    try {
      Path lib = locate();
      if (lib == null) {
        return "the emulated CUDA driver was not built (no g++ when native was built; see native/src/main/cuda/emu)";
      }
      System.load(lib.toAbsolutePath().toString());
      loadedFrom = lib.toAbsolutePath().toString();
      return null;
    } catch (IOException | LinkageError | SecurityException e) {
      return "the emulated CUDA driver failed to load: " + e;
    }
  }

  /** The emulator library to load, or null when there is none. */
  static Path locate() throws IOException {
    String explicit = System.getProperty("braid.cuda.emulator.library", System.getenv("BRAID_CUDA_EMULATOR_LIBRARY"));
    if (explicit != null && !explicit.isBlank()) {
      Path p = Path.of(explicit);
      if (!Files.isRegularFile(p)) {
        throw new IOException("braid.cuda.emulator.library / BRAID_CUDA_EMULATOR_LIBRARY names " + explicit
            + ", which is not a file");
      }
      return p;
    }
    try (InputStream in = CudaEmulator.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return null;
      }
      // The file keeps the name libcuda.so.1 (in a directory of its own) so that it reads as the driver it stands for.
      Path dir = Files.createTempDirectory("braid-cuda-emu");
      Path lib = dir.resolve("libcuda.so.1");
      Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
      lib.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return lib;
    }
  }

  /**
   * Why the emulator library cannot be loaded (the build was told to skip it, it was not built,
   * or the named file is missing), or null when it can.
   */
  public static String missing() {
    if ("true".equals(System.getProperty("braid.emu.skip"))) {
      return "the build skipped the emulated CUDA driver (-Dbraid.emu.skip=true)";
    }
    String explicit = System.getProperty("braid.cuda.emulator.library", System.getenv("BRAID_CUDA_EMULATOR_LIBRARY"));
    if (explicit != null && !explicit.isBlank()) {
      return Files.isRegularFile(Path.of(explicit)) ? null : "the emulated CUDA driver " + explicit + " was not built";
    }
    return CudaEmulator.class.getResource(RESOURCE) != null ? null
        : "the emulated CUDA driver was not built (no g++ when native was built; see native/src/main/cuda/emu)";
  }

  /**
   * Whether g++ is on the PATH: where it is, the build makes the emulator, so its tests must run
   * (and fail if it is missing) rather than skip.
   */
  public static boolean compilerOnPath() {
    if ("true".equals(System.getProperty("braid.emu.skip"))) {
      return false;  // skipped on purpose: its tests skip too
    }
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "g++"))) {
        return true;
      }
    }
    return false;
  }
}
