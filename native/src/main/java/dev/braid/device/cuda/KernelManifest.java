package dev.braid.device.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The manifest {@code native/src/main/cuda/build.sh} writes beside {@code braid_kernels.fatbin}:
 * the kernel names, the SHA-256 of the CUDA sources plus the nvcc flags, and each kernel's
 * registers and static shared memory as {@code ptxas -v} reported them for sm_90.
 */
public record KernelManifest(String sourcesSha256, String nvccFlags, List<String> kernels, Properties raw) {
  /** Classpath location of the fatbin. */
  public static final String FATBIN_RESOURCE = "/dev/braid/device/cuda/braid_kernels.fatbin";
  /** Classpath location of the manifest. */
  public static final String MANIFEST_RESOURCE = "/dev/braid/device/cuda/braid_kernels.manifest";

  /** Reads the manifest from the classpath. */
  public static KernelManifest load() {
    try (InputStream in = KernelManifest.class.getResourceAsStream(MANIFEST_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("no " + MANIFEST_RESOURCE + " on the classpath");
      }
      return parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static KernelManifest parse(InputStream in) throws IOException {
    Properties p = new Properties();
    p.load(in);
    return new KernelManifest(p.getProperty("sources.sha256"), p.getProperty("nvcc.flags"),
        List.of(p.getProperty("kernels", "").split(",")), p);
  }

  /** Registers per thread of {@code kernel} (sm_90). */
  public int registers(String kernel) {
    return intOf("kernel." + kernel + ".registers");
  }

  /** Static shared memory per block of {@code kernel}, bytes (sm_90). */
  public int sharedBytes(String kernel) {
    return intOf("kernel." + kernel + ".shared_bytes");
  }

  private int intOf(String key) {
    String v = raw.getProperty(key);
    if (v == null) {
      throw new IllegalArgumentException("manifest has no " + key + "; kernels " + kernels);
    }
    return Integer.parseInt(v.trim());
  }

  /** The fatbin's bytes from the classpath. */
  public static byte[] fatbin() {
    try (InputStream in = KernelManifest.class.getResourceAsStream(FATBIN_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("no " + FATBIN_RESOURCE + " on the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "KernelManifest[" + sourcesSha256 + ", " + kernels.size() + " kernels " + Arrays.toString(kernels.toArray()) + "]";
  }
}
