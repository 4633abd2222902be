package dev.braid.gpu.sched;

import java.util.List;

/** The policies by name. */
public final class SchedulingPolicies {
  /** Every valid name, in the order errors and help list them. */
  public static final List<String> NAMES =
      List.of(TimeOnlyPolicy.NAME, SpaceOnlyPolicy.NAME, SpaceTimePolicy.NAME, FifoPolicy.NAME);

  private SchedulingPolicies() {}

  /**
   * A new instance of the policy called {@code name} ({@code "time-only"}, {@code "space-only"},
   * {@code "space-time"} or {@code "fifo"}).
   *
   * @throws IllegalArgumentException naming the bad value and the valid names
   */
  public static SchedulingPolicy named(String name) {
    return switch (String.valueOf(name)) {
      case TimeOnlyPolicy.NAME -> new TimeOnlyPolicy();
      case SpaceOnlyPolicy.NAME -> new SpaceOnlyPolicy();
      case SpaceTimePolicy.NAME -> new SpaceTimePolicy();
      case FifoPolicy.NAME -> new FifoPolicy();
      default -> throw new IllegalArgumentException(
          "unknown scheduling policy '" + name + "'; valid: " + String.join(", ", NAMES));
    };
  }
}
