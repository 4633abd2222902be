package dev.braid.model.repo;

import com.google.protobuf.TextFormat;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.repo.ModelConfigProto.DataType;
import dev.braid.model.repo.ModelConfigProto.ModelDynamicBatching;
import dev.braid.model.repo.ModelConfigProto.ModelInput;
import dev.braid.model.repo.ModelConfigProto.ModelInstanceGroup;
import dev.braid.model.repo.ModelConfigProto.ModelOutput;
import dev.braid.model.repo.ModelConfigProto.ModelVersionPolicy;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a Triton {@code config.pbtxt} (protobuf text format) into a {@link ModelConfig},
 * checking what can be checked without the model: syntax (errors give file, line and column),
 * the name, the platform or backend, data types and the policies. Fields Braid does not model
 * ({@code optimization}, {@code model_warmup}, {@code sequence_batching}...) are skipped, so a
 * real Triton config loads as is. Every error names the file, the field, the expected and the
 * received value.
 */
public final class ConfigParser {
  private ConfigParser() {}

  /**
   * Protobuf's text parser reports each skipped field on java.util.logging as a WARNING in its own
   * two-line format. Skipping them is the intended behaviour here (documented above), so that
   * logger is held (JUL keeps loggers weakly) and quietened.
   */
  private static final java.util.logging.Logger TEXT_FORMAT_LOG = quietTextFormatLogger();

  private static java.util.logging.Logger quietTextFormatLogger() {
    java.util.logging.Logger log = java.util.logging.Logger.getLogger(TextFormat.class.getName());
    log.setLevel(java.util.logging.Level.SEVERE);
    return log;
  }

  private static final TextFormat.Parser PARSER =
      TextFormat.Parser.newBuilder().setAllowUnknownFields(true).setAllowUnknownExtensions(true).build();

  /** Parses {@code text} read from {@code file}, for the model in directory {@code modelDir}. */
  public static ModelConfig parse(String text, String file, String modelDir) {
    ModelConfigProto.ModelConfig.Builder b = ModelConfigProto.ModelConfig.newBuilder();
    try {
      PARSER.merge(text, b);
    } catch (TextFormat.ParseException e) {
      String msg = e.getMessage();
      String prefix = e.getLine() + ":" + e.getColumn() + ": ";
      if (msg != null && msg.startsWith(prefix)) {
        msg = msg.substring(prefix.length());
      }
      throw new ModelException(file + ":" + e.getLine() + ":" + e.getColumn() + ": syntax error in model config"
          + " (line " + e.getLine() + ", column " + e.getColumn() + "): " + msg);
    }
    return convert(b.build(), file, modelDir);
  }

  static ModelConfig convert(ModelConfigProto.ModelConfig p, String file, String modelDir) {
    if (!p.getName().isEmpty() && !p.getName().equals(modelDir)) {
      throw error(file, "name", "'" + modelDir + "' (the model directory's name)", "'" + p.getName() + "'");
    }
    if (!p.getPlatform().isEmpty() && !p.getPlatform().equals(ModelConfig.ONNX_PLATFORM)) {
      throw error(file, "platform", "'" + ModelConfig.ONNX_PLATFORM + "' (Braid serves ONNX models only)",
          "'" + p.getPlatform() + "'");
    }
    if (!p.getBackend().isEmpty() && !p.getBackend().equals(ModelConfig.ONNX_BACKEND)) {
      throw error(file, "backend", "'" + ModelConfig.ONNX_BACKEND + "' (Braid serves ONNX models only)",
          "'" + p.getBackend() + "'");
    }
    if (p.getMaxBatchSize() < 0) {
      throw error(file, "max_batch_size", ">= 0", Integer.toString(p.getMaxBatchSize()));
    }
    List<TensorConfig> inputs = new ArrayList<>();
    for (int i = 0; i < p.getInputCount(); i++) {
      ModelInput in = p.getInput(i);
      String field = "input[" + i + "] ('" + in.getName() + "')";
      if (in.hasReshape()) {
        throw error(file, field + ".reshape", "no reshape (Braid feeds inputs to the model as declared)",
            in.getReshape().getShapeList().toString());
      }
      inputs.add(tensor(in.getName(), in.getDataType(), in.getDimsList(), file, field));
    }
    List<TensorConfig> outputs = new ArrayList<>();
    for (int i = 0; i < p.getOutputCount(); i++) {
      ModelOutput out = p.getOutput(i);
      String field = "output[" + i + "] ('" + out.getName() + "')";
      if (out.hasReshape()) {
        throw error(file, field + ".reshape", "no reshape", out.getReshape().getShapeList().toString());
      }
      outputs.add(tensor(out.getName(), out.getDataType(), out.getDimsList(), file, field));
    }
    List<InstanceGroup> groups = new ArrayList<>();
    for (int i = 0; i < p.getInstanceGroupCount(); i++) {
      ModelInstanceGroup g = p.getInstanceGroup(i);
      if (g.getCount() < 0) {
        throw error(file, "instance_group[" + i + "].count", ">= 1", Integer.toString(g.getCount()));
      }
      InstanceGroup.Kind kind = switch (g.getKind()) {
        case KIND_GPU -> InstanceGroup.Kind.GPU;
        case KIND_CPU -> InstanceGroup.Kind.CPU;
        case KIND_MODEL -> InstanceGroup.Kind.MODEL;
        default -> InstanceGroup.Kind.AUTO;
      };
      String name = g.getName().isEmpty() ? modelDir + "_" + i : g.getName();
      // Triton's default count is 1 instance per GPU (or on the CPU).
      groups.add(new InstanceGroup(name, kind, g.getCount() == 0 ? 1 : g.getCount(), g.getGpusList()));
    }
    Map<String, String> parameters = new LinkedHashMap<>();
    p.getParametersMap().forEach((k, v) -> parameters.put(k, v.getStringValue()));
    return new ModelConfig(modelDir, ModelConfig.ONNX_PLATFORM, ModelConfig.ONNX_BACKEND, p.getMaxBatchSize(),
        inputs, outputs, versionPolicy(p, file), groups,
        p.hasDynamicBatching() ? dynamicBatching(p.getDynamicBatching(), p.getMaxBatchSize(), file) : null,
        parameters,
        p.getDefaultModelFilename().isEmpty() ? ModelConfig.DEFAULT_MODEL_FILENAME : p.getDefaultModelFilename());
  }

  private static TensorConfig tensor(String name, DataType type, List<Long> dims, String file, String field) {
    if (name.isEmpty()) {
      throw error(file, field + ".name", "a tensor name", "''");
    }
    DType dtype = dtype(type);
    if (dtype == null) {
      throw error(file, field + ".data_type", "a numeric or boolean type (TYPE_FP32, TYPE_INT64, ...)",
          type == null ? "unknown" : type.name());
    }
    long[] d = new long[dims.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = dims.get(i);
      if (d[i] < -1) {
        throw error(file, field + ".dims", "sizes >= 0, or -1 for dynamic", dims.toString());
      }
    }
    return new TensorConfig(name, dtype, d);
  }

  /** Triton's TYPE_* to Braid's dtype; null for TYPE_INVALID and TYPE_STRING. */
  static DType dtype(DataType t) {
    return switch (t) {
      case TYPE_BOOL -> DType.BOOL;
      case TYPE_UINT8 -> DType.UINT8;
      case TYPE_UINT16 -> DType.UINT16;
      case TYPE_UINT32 -> DType.UINT32;
      case TYPE_UINT64 -> DType.UINT64;
      case TYPE_INT8 -> DType.INT8;
      case TYPE_INT16 -> DType.INT16;
      case TYPE_INT32 -> DType.INT32;
      case TYPE_INT64 -> DType.INT64;
      case TYPE_FP16 -> DType.FLOAT16;
      case TYPE_FP32 -> DType.FLOAT32;
      case TYPE_FP64 -> DType.FLOAT64;
      case TYPE_BF16 -> DType.BFLOAT16;
      default -> null;
    };
  }

  /** Braid's dtype as Triton names it in a config (TYPE_FP32...). */
  public static String tritonName(DType t) {
    for (DataType d : DataType.values()) {
      if (d != DataType.UNRECOGNIZED && dtype(d) == t) {
        return d.name();
      }
    }
    throw new IllegalArgumentException("no Triton type for " + t);
  }

  private static VersionPolicy versionPolicy(ModelConfigProto.ModelConfig p, String file) {
    if (!p.hasVersionPolicy()) {
      return new VersionPolicy.Latest(1);
    }
    ModelVersionPolicy v = p.getVersionPolicy();
    return switch (v.getPolicyChoiceCase()) {
      case LATEST -> {
        if (v.getLatest().getNumVersions() < 1) {
          throw error(file, "version_policy.latest.num_versions", ">= 1",
              Integer.toUnsignedString(v.getLatest().getNumVersions()));
        }
        yield new VersionPolicy.Latest(v.getLatest().getNumVersions());
      }
      case ALL -> new VersionPolicy.All();
      case SPECIFIC -> {
        if (v.getSpecific().getVersionsCount() == 0 || v.getSpecific().getVersionsList().stream().anyMatch(x -> x < 1)) {
          throw error(file, "version_policy.specific.versions", "one or more positive version numbers",
              v.getSpecific().getVersionsList().toString());
        }
        yield new VersionPolicy.Specific(v.getSpecific().getVersionsList());
      }
      default -> new VersionPolicy.Latest(1);
    };
  }

  private static DynamicBatching dynamicBatching(ModelDynamicBatching d, int maxBatchSize, String file) {
    for (int size : d.getPreferredBatchSizeList()) {
      if (size < 1 || (maxBatchSize > 0 && size > maxBatchSize)) {
        throw error(file, "dynamic_batching.preferred_batch_size", "sizes in 1.." + maxBatchSize
            + " (max_batch_size)", d.getPreferredBatchSizeList().toString());
      }
    }
    long levels = d.getPriorityLevels();
    long def = d.getDefaultPriorityLevel();
    if (levels > 0 && (def < 1 || def > levels)) {
      throw error(file, "dynamic_batching.default_priority_level", "a level in 1.." + levels + " (priority_levels)",
          Long.toUnsignedString(def));
    }
    if (d.getMaxQueueDelayMicroseconds() < 0) {
      throw error(file, "dynamic_batching.max_queue_delay_microseconds", "at most 2^63 - 1",
          Long.toUnsignedString(d.getMaxQueueDelayMicroseconds()));
    }
    return new DynamicBatching(d.getPreferredBatchSizeList(),
        Duration.of(d.getMaxQueueDelayMicroseconds(), ChronoUnit.MICROS), d.getPreserveOrdering(), levels, def);
  }

  static ModelException error(String file, String field, String expected, String received) {
    return new ModelException(file + ": field '" + field + "': expected " + expected + ", received " + received);
  }
}
