package dev.braid.model.zoo;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/** Runs a one-input, one-output zoo model in ONNX Runtime, the oracle that a file is valid. */
final class OrtRunner implements AutoCloseable {
  private static final OrtEnvironment ORT = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  /** The output of one run: values in row-major order and the shape. */
  record Output(float[] values, long[] shape) {}

  OrtRunner(Path modelFile) throws OrtException {
    this.session = ORT.createSession(modelFile.toString(), new OrtSession.SessionOptions());
  }

  String inputName() {
    return session.getInputNames().iterator().next();
  }

  String outputName() {
    return session.getOutputNames().iterator().next();
  }

  Output run(float[] data, long... shape) throws OrtException {
    try (OnnxTensor in = OnnxTensor.createTensor(ORT, FloatBuffer.wrap(data), shape);
        OrtSession.Result result = session.run(Map.of(inputName(), in))) {
      OnnxTensor out = (OnnxTensor) result.get(0);
      FloatBuffer fb = out.getFloatBuffer();
      float[] values = new float[fb.remaining()];
      fb.get(values);
      return new Output(values, out.getInfo().getShape());
    }
  }

  /** {@code n} inputs uniform in [-1, 1), fixed by {@code seed}. */
  static float[] randomInput(long seed, int n) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return x;
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
