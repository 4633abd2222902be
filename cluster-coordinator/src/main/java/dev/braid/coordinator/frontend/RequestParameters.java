package dev.braid.coordinator.frontend;

import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.protocol.grpc.InferParameter;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Braid's extras on a {@code ModelInferRequest}, carried in its {@code parameters} map as the
 * Open Inference Protocol allows, so that Triton's and KServe's clients send them unchanged:
 *
 * <ul>
 *   <li>{@value #DEADLINE_MS} (int64, or a double, > 0): the latency budget in milliseconds from
 *       the server's receipt of the request;
 *   <li>{@value #TIMEOUT_US} (int64 > 0): Triton's own per-request timeout, in microseconds;
 *   <li>{@value #PRIORITY} (int64 or uint64 >= 0): Triton's priority level, 1 the highest and 0
 *       the model's default;
 *   <li>{@value #TENANT} (string): who the request is accounted to (quotas are the cluster
 *       coordinator's; a single node records and ignores it);
 *   <li>{@value #TYPED_OUTPUTS} (bool): answer with typed {@code contents} instead of the default
 *       {@code raw_output_contents}.
 * </ul>
 *
 * The budget a request gets is the earliest of {@value #DEADLINE_MS}, {@value #TIMEOUT_US}, the
 * gRPC deadline of the call, and {@code braid.frontend.default-timeout}.
 *
 * @param deadline from {@value #DEADLINE_MS} or {@value #TIMEOUT_US}, the earlier when both
 */
public record RequestParameters(Optional<Duration> deadline, int priority, String tenant, boolean typedOutputs) {
  public static final String DEADLINE_MS = "braid.deadline_ms";
  public static final String TIMEOUT_US = "timeout";
  public static final String PRIORITY = "priority";
  public static final String TENANT = "braid.tenant";
  public static final String TYPED_OUTPUTS = "braid.typed_outputs";

  /** Reads the parameters Braid knows; others are ignored, as the protocol asks. */
  public static RequestParameters parse(Map<String, InferParameter> params) {
    Duration deadline = null;
    InferParameter p = params.get(DEADLINE_MS);
    if (p != null) {
      double ms = switch (p.getParameterChoiceCase()) {
        case INT64_PARAM -> p.getInt64Param();
        case UINT64_PARAM -> p.getUint64Param();
        case DOUBLE_PARAM -> p.getDoubleParam();
        default -> throw bad(DEADLINE_MS, "a positive int64 or double of milliseconds", p);
      };
      if (!(ms > 0) || Double.isInfinite(ms)) {
        throw bad(DEADLINE_MS, "a positive int64 or double of milliseconds", p);
      }
      deadline = Duration.ofNanos((long) Math.min(ms * 1e6, Long.MAX_VALUE / 2.0));
    }
    p = params.get(TIMEOUT_US);
    if (p != null) {
      long us = switch (p.getParameterChoiceCase()) {
        case INT64_PARAM -> p.getInt64Param();
        case UINT64_PARAM -> p.getUint64Param();
        default -> throw bad(TIMEOUT_US, "a positive int64 of microseconds", p);
      };
      if (us <= 0) {
        throw bad(TIMEOUT_US, "a positive int64 of microseconds", p);
      }
      Duration timeout = Duration.ofNanos(us >= Long.MAX_VALUE / 2000 ? Long.MAX_VALUE / 2 : us * 1000);
      deadline = deadline == null || timeout.compareTo(deadline) < 0 ? timeout : deadline;
    }
    int priority = 0;
    p = params.get(PRIORITY);
    if (p != null) {
      long v = switch (p.getParameterChoiceCase()) {
        case INT64_PARAM -> p.getInt64Param();
        case UINT64_PARAM -> p.getUint64Param();
        default -> throw bad(PRIORITY, "an int64 >= 0", p);
      };
      if (v < 0 || v > Integer.MAX_VALUE) {
        throw bad(PRIORITY, "an int64 >= 0", p);
      }
      priority = (int) v;
    }
    String tenant = "";
    p = params.get(TENANT);
    if (p != null) {
      if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.STRING_PARAM) {
        throw bad(TENANT, "a string", p);
      }
      tenant = p.getStringParam();
    }
    boolean typed = false;
    p = params.get(TYPED_OUTPUTS);
    if (p != null) {
      if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
        throw bad(TYPED_OUTPUTS, "a bool", p);
      }
      typed = p.getBoolParam();
    }
    return new RequestParameters(Optional.ofNullable(deadline), priority, tenant, typed);
  }

  private static RuntimeException bad(String name, String expected, InferParameter received) {
    String value = switch (received.getParameterChoiceCase()) {
      case BOOL_PARAM -> "bool " + received.getBoolParam();
      case INT64_PARAM -> "int64 " + received.getInt64Param();
      case UINT64_PARAM -> "uint64 " + Long.toUnsignedString(received.getUint64Param());
      case DOUBLE_PARAM -> "double " + received.getDoubleParam();
      case STRING_PARAM -> "string '" + received.getStringParam() + "'";
      case PARAMETERCHOICE_NOT_SET -> "no value";
    };
    return Statuses.invalidArgument("parameter '" + name + "': expected " + expected + ", received " + value);
  }
}
