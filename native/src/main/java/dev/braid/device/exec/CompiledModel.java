package dev.braid.device.exec;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.device.DeviceStream;
import dev.braid.device.KernelLaunch;
import dev.braid.model.ModelGraph;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.model.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A model ready to run on one device. Lifecycle: compiled (weights resident) -> closed (weights
 * freed). Each {@link #run} allocates its own arena, so runs may overlap; the arena is freed when
 * the run completes, successfully or not. Integer inputs (e.g. token ids) are held on the device
 * as floats, exact below 2^24.
 */
public final class CompiledModel implements AutoCloseable {
  private final ModelGraph graph;
  private final Device device;
  private final Lowered lowered;
  private final DeviceBuffer weights;
  private final Map<String, BufferSlice> constants;
  private final ArenaPlan arena;
  private volatile boolean closed;

  CompiledModel(ModelGraph graph, Device device, Lowered lowered, DeviceBuffer weights,
      Map<String, BufferSlice> constants, ArenaPlan arena) {
    this.graph = graph;
    this.device = device;
    this.lowered = lowered;
    this.weights = weights;
    this.constants = constants;
    this.arena = arena;
  }

  /** The kernel steps one inference runs, in order. */
  public List<Step> steps() {
    return lowered.steps();
  }

  /** Bytes of the per-inference arena. */
  public long arenaBytes() {
    return arena.sizeBytes;
  }

  /** Bytes of resident constants. */
  public long weightsBytes() {
    return weights.sizeBytes();
  }

  /** Runs one inference on the device's default stream. */
  public CompletionStage<Map<String, Tensor>> run(Map<String, Tensor> inputs) {
    return run(inputs, device.defaultStream());
  }

  /**
   * Runs one inference on {@code stream}: uploads the inputs, launches every step, downloads the
   * outputs. Fails the stage with IllegalArgumentException naming the input for a missing,
   * unexpected, mis-shaped or mis-typed input, and with the device's exception if a launch fails.
   */
  public CompletionStage<Map<String, Tensor>> run(Map<String, Tensor> inputs, DeviceStream stream) {
    try {
      validate(inputs);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    DeviceBuffer buffer = device.allocate(Math.max(4, arena.sizeBytes));
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (ValueInfo in : graph.inputs()) {
      all.add(device.upload(inputs.get(in.name()).toFloats(), slice(buffer, in.name()), stream).toCompletableFuture());
    }
    for (Step s : lowered.steps()) {
      List<BufferSlice> args = new ArrayList<>();
      for (String a : s.args()) {
        args.add(slice(buffer, a));
      }
      all.add(device.launch(new KernelLaunch(s.kernel(), args), stream).toCompletableFuture());
    }
    Map<String, CompletableFuture<float[]>> downloads = new LinkedHashMap<>();
    for (ValueInfo out : graph.outputs()) {
      CompletableFuture<float[]> d = device.download(slice(buffer, out.name()), stream).toCompletableFuture();
      downloads.put(out.name(), d);
      all.add(d);
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .whenComplete((v, e) -> device.free(buffer))
        .thenApply(v -> {
          Map<String, Tensor> result = new LinkedHashMap<>();
          for (ValueInfo out : graph.outputs()) {
            result.put(out.name(), tensor(out, downloads.get(out.name()).join()));
          }
          return result;
        });
  }

  private static Tensor tensor(ValueInfo info, float[] data) {
    if (info.dtype().isFloating()) {
      return Tensor.ofFloats(info.dtype(), info.shape(), data);
    }
    long[] l = new long[data.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = (long) data[i];
    }
    return Tensor.ofLongs(info.dtype(), info.shape(), l);
  }

  private BufferSlice slice(DeviceBuffer buffer, String value) {
    String root = lowered.root(value);
    BufferSlice c = constants.get(root);
    if (c != null) {
      return c; // aliases have the size of their source; derived constants have no graph shape
    }
    return buffer.slice(arena.offsetBytes.get(root), 4L * graph.shape(value).size());
  }

  private void validate(Map<String, Tensor> inputs) {
    if (closed) {
      throw new IllegalStateException("model '" + graph.name() + "' is closed");
    }
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
    }
    for (String name : inputs.keySet()) {
      if (graph.inputs().stream().noneMatch(v -> v.name().equals(name))) {
        throw new IllegalArgumentException("model '" + graph.name() + "' has no input '" + name + "'");
      }
    }
  }

  /** Frees the resident weights; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      device.free(weights);
    }
  }

}
