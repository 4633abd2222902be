package dev.braid.device.exec;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceException;
import dev.braid.device.DeviceStream;
import dev.braid.model.ModelGraph;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A model ready to run on one device. Lifecycle: compiled (weights resident) -> closed (weights
 * freed). An inference is a {@link ModelRun} with its own arena: {@link #start} allocates it
 * and uploads the inputs, a scheduler launches its ops one at a time ({@link ModelRun#launch}),
 * and {@link ModelRun#finish} downloads the outputs and frees it. {@link #run} is that same
 * path with every op on one stream. Requests may overlap; each arena is freed exactly once, when
 * its request finishes or aborts, successfully or not, and never while device work that uses it
 * may still run (an abort waits for the request's pending stages: {@link ModelRun#abort}). Integer inputs (e.g. token ids) are held on
 * the device as floats, exact below 2^24.
 *
 * <p>Invariant: {@code device().allocatedBytes()} attributable to this model is
 * {@code weightsBytes()} plus one arena per live request. The weights are freed only when no
 * request is live: {@link #close} refuses while one is.
 *
 * <p>Op {@code i} of a request is {@code steps().get(i)}, which is op {@code i} of the model's
 * {@code KernelPlan} ({@code KernelPlanner.plan(graph())} makes one op per step, in this order).
 */
public final class CompiledModel implements AutoCloseable {
  private final ModelGraph graph;
  private final Device device;
  private final Lowered lowered;
  private final SharedWeights weights;
  private final boolean ownsWeights;
  private final long weightsBytes;
  private final CompletableFuture<Void> weightsUploaded;
  private final Map<String, BufferSlice> constants;
  private final ArenaPlan arena;
  private long requestsStarted; // guarded by this
  private int liveRequests; // guarded by this
  private boolean closed; // guarded by this

  CompiledModel(ModelGraph graph, Device device, Lowered lowered, SharedWeights weights, boolean ownsWeights,
      long weightsBytes, CompletionStage<Void> weightsUploaded, Map<String, BufferSlice> constants, ArenaPlan arena) {
    this.graph = graph;
    this.device = device;
    this.lowered = lowered;
    this.weights = weights;
    this.ownsWeights = ownsWeights;
    this.weightsBytes = weightsBytes;
    this.weightsUploaded = weightsUploaded.toCompletableFuture();
    this.constants = constants;
    this.arena = arena;
  }

  /** The graph this model was compiled from. */
  public ModelGraph graph() {
    return graph;
  }

  /** The device holding the weights; every request of this model runs on it. */
  public Device device() {
    return device;
  }

  /**
   * The kernel steps one inference runs, in order: step {@code i} is op {@code i} of a
   * {@link ModelRun} and of the model's {@code KernelPlan}.
   */
  public List<Step> steps() {
    return lowered.steps();
  }

  /** Bytes of the per-inference arena (the device allocation per request is at least 4). */
  public long arenaBytes() {
    return arena.sizeBytes;
  }

  /**
   * Bytes of resident constants this model reads. With weights of its own this is its whole weights
   * allocation; with {@link SharedWeights} the constants may also serve other batch sizes, and
   * {@link SharedWeights#residentBytes()} counts the allocation once.
   */
  public long weightsBytes() {
    return weightsBytes;
  }

  /** The resident constants this model reads, possibly shared with other batch sizes. */
  public SharedWeights weights() {
    return weights;
  }

  /** Requests started and not yet finished or aborted. */
  public synchronized int liveRequests() {
    return liveRequests;
  }

  /** Starts a request, uploading its inputs on the device's default stream. */
  public CompletionStage<ModelRun> start(Map<String, Tensor> inputs) {
    return start(inputs, device.defaultStream());
  }

  /**
   * Starts one inference driven op by op: allocates its arena and uploads the inputs on
   * {@code stream}. The stage completes with the request once the inputs and the model's weights
   * are on the device, so op 0 may then launch on any stream. It fails with
   * IllegalArgumentException naming the input for a missing, unexpected, mis-shaped or mis-typed
   * input, IllegalStateException if the model is closed, and the device's exception if the arena
   * cannot be allocated or an upload fails (the arena is then freed).
   */
  public CompletionStage<ModelRun> start(Map<String, Tensor> inputs, DeviceStream stream) {
    ModelRun request;
    try {
      validate(inputs);
      synchronized (this) {
        if (closed) {
          throw new IllegalStateException("model '" + graph.name() + "' is closed");
        }
        DeviceBuffer buffer = device.allocate(Math.max(4, arena.sizeBytes));
        liveRequests++;
        request = new ModelRun(this, requestsStarted++, buffer);
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    List<CompletableFuture<?>> uploads = new ArrayList<>();
    uploads.add(weightsUploaded);
    try {
      for (ValueInfo in : graph.inputs()) {
        BufferSlice dst = request.slice(in.name());
        CompletableFuture<Void> up = device.upload(inputs.get(in.name()).toFloats(), dst, stream).toCompletableFuture();
        request.onDevice(up);
        uploads.add(up);
      }
    } catch (RuntimeException e) {
      uploads.add(CompletableFuture.failedFuture(e));
    }
    return CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new)).handle((v, e) -> {
      if (e != null) {
        request.abort();
        throw e instanceof CompletionException ce ? ce : new CompletionException(e);
      }
      return request;
    });
  }

  /** Runs one inference on the device's default stream. */
  public CompletionStage<Map<String, Tensor>> run(Map<String, Tensor> inputs) {
    return run(inputs, device.defaultStream());
  }

  /**
   * Runs one inference on {@code stream}: {@link #start}s a request, launches its ops in order,
   * each after the previous completed, and {@link ModelRun#finish}es it. Fails the stage as
   * {@link #start} does for bad inputs, and with the device's exception if a launch fails (the
   * request is then aborted, so its arena is freed before the stage fails).
   */
  public CompletionStage<Map<String, Tensor>> run(Map<String, Tensor> inputs, DeviceStream stream) {
    return start(inputs, stream).thenCompose(request -> {
      CompletableFuture<Void> ops = CompletableFuture.completedFuture(null);
      for (int i = 0; i < request.opCount(); i++) {
        int op = i;
        ops = ops.thenCompose(v -> request.launch(op, stream)).thenRun(() -> request.completed(op));
      }
      return ops.handle((v, e) -> {
        if (e != null) {
          request.abort();
          return CompletableFuture.<Map<String, Tensor>>failedFuture(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
        }
        return request.finish(stream);
      }).thenCompose(s -> s);
    });
  }

  static Tensor tensor(ValueInfo info, float[] data) {
    if (info.dtype().isFloating()) {
      return Tensor.ofFloats(info.dtype(), info.shape(), data);
    }
    long[] l = new long[data.length];
    for (int i = 0; i < l.length; i++) {
      if (Math.abs(data[i]) >= ExactIntegers.LIMIT) {
        // 2^24 + 1 computed in float32 reads back as 2^24: at this magnitude the value may be rounded.
        throw new ArithmeticException("output '" + info.name() + "' (" + info.dtype().onnxName() + ") holds "
            + (long) data[i] + " at element " + i + ": an integer computed on float32 device buffers at or beyond"
            + " 2^24 = " + ExactIntegers.LIMIT + " may have been rounded, so Braid refuses it rather than answer"
            + " possibly wrong");
      }
      l[i] = (long) data[i];
    }
    return Tensor.ofLongs(info.dtype(), info.shape(), l);
  }

  /** Where {@code value} lives for a request whose arena is {@code buffer}: the weights or the arena. */
  BufferSlice slice(DeviceBuffer buffer, String value) {
    String root = lowered.root(value);
    BufferSlice c = constants.get(root);
    if (c != null) {
      return c; // aliases have the size of their source; derived constants have no graph shape
    }
    return buffer.slice(arena.offsetBytes.get(root), 4L * graph.shape(value).size());
  }

  private void validate(Map<String, Tensor> inputs) {
    for (ValueInfo in : graph.inputs()) {
      Tensor t = inputs.get(in.name());
      if (t == null) {
        throw new IllegalArgumentException("model '" + graph.name() + "': input '" + in.name() + "' is missing; expected "
            + in.dtype() + " " + in.shape() + ", received inputs " + inputs.keySet());
      }
      if (!t.shape().equals(in.shape())) {
        throw new IllegalArgumentException("model '" + graph.name() + "': input '" + in.name() + "' expected shape "
            + in.shape() + ", received " + t.shape());
      }
      if (t.dtype() != in.dtype()) {
        throw new IllegalArgumentException("model '" + graph.name() + "': input '" + in.name() + "' expected dtype "
            + in.dtype() + ", received " + t.dtype());
      }
      String inexact = ExactIntegers.violation(t, "model '" + graph.name() + "': input '" + in.name() + "'");
      if (inexact != null) {
        throw new IllegalArgumentException(inexact);
      }
    }
    for (String name : inputs.keySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new IllegalArgumentException("model '" + graph.name() + "' has no input '" + name + "'");
      }
    }
  }

  /** Called once per request, by its finish or abort: frees its arena. */
  void released(DeviceBuffer buffer) {
    synchronized (this) {
      liveRequests--;
    }
    try {
      device.free(buffer);
    } catch (DeviceException e) {
      if (e.reason() != DeviceException.Reason.CLOSED) {
        throw e;
      }
      // the device was closed, which frees every buffer: this arena is already gone
    }
  }

  /**
   * Closes the model to new requests and, when it owns its weights (compiled without {@link
   * SharedWeights}), frees them; shared weights are freed by their own {@link
   * SharedWeights#close()}. Idempotent.
   *
   * @throws IllegalStateException while requests are live (their kernels read the weights); the
   *     model stays open, so finish or abort them and close again
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (liveRequests > 0) {
        throw new IllegalStateException("model '" + graph.name() + "': cannot close with " + liveRequests
            + " live request(s); finish or abort them first");
      }
      closed = true;
    }
    if (ownsWeights) {
      weights.close();
    }
  }

  /** Whether {@link #close} has run: no request may start. */
  public synchronized boolean isClosed() {
    return closed;
  }
}
