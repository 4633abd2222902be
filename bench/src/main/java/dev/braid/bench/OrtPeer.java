package dev.braid.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ONNX Runtime's CPU provider, configured as a user would run it for latency: all graph
 * optimisations, {@code threads} intra-op threads, sequential execution.
 */
final class OrtPeer implements AutoCloseable {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final int threads;

  OrtPeer(int threads) {
    this.threads = threads;
  }

  /** A session over one ONNX file; its options live as long as the session. */
  Session open(Path onnxFile) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      return new Session(env.createSession(onnxFile.toString(), options), options);
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }

  @Override
  public void close() {
    // The environment is a process-wide singleton; sessions close themselves.
  }

  /** One loaded model. */
  final class Session implements AutoCloseable {
    private final OrtSession session;
    private final OrtSession.SessionOptions options;

    private Session(OrtSession session, OrtSession.SessionOptions options) {
      this.session = session;
      this.options = options;
    }

    /** Runs once; outputs in the model's output order. */
    Map<String, Tensor> run(Map<String, Tensor> inputs) throws OrtException {
      Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
      try {
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
          Tensor t = e.getValue();
          long[] dims = t.shape().longDims();
          feeds.put(e.getKey(), t.isFloating()
              ? OnnxTensor.createTensor(env, FloatBuffer.wrap(t.floats()), dims)
              : OnnxTensor.createTensor(env, LongBuffer.wrap(t.longs()), dims));
        }
        Map<String, Tensor> outputs = new LinkedHashMap<>();
        try (OrtSession.Result result = session.run(feeds)) {
          for (Map.Entry<String, OnnxValue> e : result) {
            OnnxTensor o = (OnnxTensor) e.getValue();
            long[] shape = o.getInfo().getShape();
            FloatBuffer fb = o.getFloatBuffer();
            float[] data = new float[fb.remaining()];
            fb.get(data);
            outputs.put(e.getKey(), Tensor.ofFloats(Shape.of(shape), data));
          }
        }
        return outputs;
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    }

    @Override
    public void close() throws OrtException {
      try {
        session.close();
      } finally {
        options.close();
      }
    }
  }
}
