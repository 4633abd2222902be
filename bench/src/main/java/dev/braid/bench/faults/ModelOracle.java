package dev.braid.bench.faults;

import com.google.protobuf.ByteString;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.device.exec.CompiledModel;
import dev.braid.device.exec.ModelExecutor;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The answers a correct cluster gives: the zoo's mlp run alone on a {@link CpuDevice} in this JVM
 * for a fixed set of seeded inputs. A cluster's answer is correct when every logit is within
 * 1e-5 + 1e-4·|expected| of this one (the tolerance of the cluster tests: the same kernels, summed
 * in another order when batched).
 */
public final class ModelOracle {
  /** The model every scenario serves: small, so a JVM of 96 MiB holds it. */
  public static final String MODEL = "mlp";

  private static final int INPUTS = 8;
  private static final int FEATURES = 784;

  private final float[][] inputs;
  private final float[][] expected;
  private final ByteString[] raw;

  private ModelOracle(float[][] inputs, float[][] expected) {
    this.inputs = inputs;
    this.expected = expected;
    this.raw = new ByteString[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      ByteBuffer b = ByteBuffer.allocate(FEATURES * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(inputs[i]);
      raw[i] = ByteString.copyFrom(b.array());
    }
  }

  /** Writes the zoo's mlp into {@code repo} and computes the expected answers. */
  public static ModelOracle create(Path repo) throws Exception {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels(MODEL));
    float[][] in = new float[INPUTS][];
    float[][] out = new float[INPUTS][];
    try (CpuDevice dev = new CpuDevice(1);
        CompiledModel m = ModelExecutor.compile(ModelRepository.open(repo).load(MODEL).latest().bind(1), dev)) {
      for (int i = 0; i < INPUTS; i++) {
        SplittableRandom rnd = new SplittableRandom(i);
        in[i] = new float[FEATURES];
        for (int k = 0; k < FEATURES; k++) {
          in[i][k] = (float) (rnd.nextDouble() * 2 - 1);
        }
        out[i] = m.run(Map.of("input", Tensor.ofFloats(Shape.of(1, FEATURES), in[i]))).toCompletableFuture().get()
            .get("logits").floats();
      }
    }
    return new ModelOracle(in, out);
  }

  /** How many distinct inputs there are; request {@code k} sends input {@code k % size()}. */
  public int size() {
    return inputs.length;
  }

  /**
   * The request for input {@code k % size()}, with the OIP {@code id} that joins it to the nodes'
   * {@code executed} events and Braid's deadline parameter.
   */
  public ModelInferRequest request(String id, long k, long deadlineMs) {
    int i = (int) Math.floorMod(k, (long) inputs.length);
    return ModelInferRequest.newBuilder().setModelName(MODEL).setId(id)
        .putParameters("braid.deadline_ms", InferParameter.newBuilder().setInt64Param(deadlineMs).build())
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("input").setDatatype("FP32").addShape(1)
            .addShape(FEATURES))
        .addRawInputContents(raw[i]).build();
  }

  /** Whether {@code response} is the model's answer for input {@code k % size()}. */
  public boolean isCorrect(long k, ModelInferResponse response) {
    float[] want = expected[(int) Math.floorMod(k, (long) inputs.length)];
    if (response.getRawOutputContentsCount() != 1) {
      return false;
    }
    ByteString bytes = response.getRawOutputContents(0);
    if (bytes.size() != want.length * 4) {
      return false;
    }
    float[] got = new float[want.length];
    bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got);
    for (int i = 0; i < got.length; i++) {
      if (!(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]))) {
        return false;
      }
    }
    return true;
  }
}
