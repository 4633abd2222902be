package dev.braid.gpu;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import java.time.Duration;
import java.util.Objects;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;

/**
 * How a GPU actor is restarted after an unexpected exception, from the {@code
 * braid.gpu.supervision} block (defaults and a comment per key in this module's {@code
 * reference.conf}): with a back-off growing from {@code minBackoff} to {@code maxBackoff}, so that a
 * fault that recurs at once does not spin.
 *
 * @param minBackoff the wait before the first restart, > 0
 * @param maxBackoff the longest wait between restarts, >= minBackoff
 * @param randomFactor jitter added to each wait, as a fraction of it, in [0, 1]
 */
public record GpuSupervision(Duration minBackoff, Duration maxBackoff, double randomFactor) {
  /** The HOCON path of this block. */
  public static final String PATH = GpuSettings.PATH + ".supervision";

  public GpuSupervision {
    Objects.requireNonNull(minBackoff, "minBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    ConfigValues.requirePositive(PATH + ".min-backoff", minBackoff);
    if (maxBackoff.compareTo(minBackoff) < 0) {
      throw SettingsException.invalid(PATH + ".max-backoff", "a duration >= min-backoff (" + minBackoff + ")",
          maxBackoff);
    }
    if (!(randomFactor >= 0 && randomFactor <= 1)) {
      throw SettingsException.invalid(PATH + ".random-factor", "a number in [0, 1]", randomFactor);
    }
  }

  /** Reads the block from {@code config} (which must include the reference defaults). */
  public static GpuSupervision from(Config config) {
    double factor;
    try {
      factor = config.getDouble(PATH + ".random-factor");
    } catch (ConfigException.Missing | ConfigException.WrongType e) {
      throw SettingsException.invalid(PATH + ".random-factor", "a number in [0, 1]",
          config.hasPath(PATH + ".random-factor") ? config.getValue(PATH + ".random-factor").unwrapped() : "nothing");
    }
    return new GpuSupervision(ConfigValues.nonNegativeDuration(config, PATH + ".min-backoff"),
        ConfigValues.nonNegativeDuration(config, PATH + ".max-backoff"), factor);
  }

  /** Pekko's strategy: restart on any exception, after the back-off, without a limit. */
  BackoffSupervisorStrategy strategy() {
    return SupervisorStrategy.restartWithBackoff(minBackoff, maxBackoff, randomFactor);
  }
}
