package dev.braid.device.exec;

import dev.braid.device.BufferSlice;
import dev.braid.device.Device;
import dev.braid.device.DeviceBuffer;
import dev.braid.model.ModelException;
import dev.braid.model.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The resident constants of one model on one device, shared by the {@link CompiledModel}s of that
 * model at several batch sizes: binding a model at batch 1 and at batch 8 yields the same weights,
 * so they are uploaded once. A constant is reused when a later compile asks for one with the same
 * name and equal contents; a constant whose contents differ (a shape constant folded per batch
 * size) gets a slot of its own.
 *
 * <p>Lifecycle: open (each {@link ModelExecutor#compile(dev.braid.model.ModelGraph, Device,
 * SharedWeights) compile} adds the constants it lacks, in one new buffer) -> closed ({@link
 * #close}: every model compiled against it is closed, then every buffer is freed). Invariant:
 * {@link #residentBytes()} is the sum of the sizes of the buffers it holds, each freed exactly
 * once.
 *
 * <p>Thread-safe (the models it serves may be started from any thread), though an owner normally
 * confines it to one.
 */
public final class SharedWeights implements AutoCloseable {
  private record Entry(Tensor tensor, BufferSlice slice, CompletableFuture<Void> uploaded) {}

  /** What one compile reads: a slice per constant and the uploads they wait for. */
  record Resolved(Map<String, BufferSlice> slices, CompletableFuture<Void> uploaded, long bytes) {}

  private final Device device;
  private final String label;
  private final Map<String, List<Entry>> entries = new HashMap<>();
  private final List<DeviceBuffer> buffers = new ArrayList<>();
  private final List<CompiledModel> users = new ArrayList<>();
  private long residentBytes;
  private boolean closed;

  /**
   * @param label names the owner (the model) in error messages
   */
  public SharedWeights(Device device, String label) {
    this.device = device;
    this.label = label;
  }

  public Device device() {
    return device;
  }

  /** Bytes of device memory the shared constants occupy. */
  public synchronized long residentBytes() {
    return residentBytes;
  }

  /** Distinct constants held (by name and contents). */
  public synchronized int constantCount() {
    int n = 0;
    for (List<Entry> l : entries.values()) {
      n += l.size();
    }
    return n;
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /**
   * Slices for {@code constants}, uploading the ones not yet resident into one new buffer on the
   * device's default stream.
   */
  synchronized Resolved resolve(Map<String, Tensor> constants) {
    if (closed) {
      throw new IllegalStateException("weights of '" + label + "' are closed");
    }
    Map<String, BufferSlice> slices = new HashMap<>();
    List<CompletableFuture<Void>> waits = new ArrayList<>();
    Map<String, Tensor> missing = new LinkedHashMap<>();
    long bytes = 0;
    for (Map.Entry<String, Tensor> c : constants.entrySet()) {
      Entry e = find(c.getKey(), c.getValue());
      if (e != null) {
        slices.put(c.getKey(), e.slice());
        waits.add(e.uploaded());
      } else {
        missing.put(c.getKey(), c.getValue());
      }
      bytes += aligned(c.getValue());
    }
    for (Map.Entry<String, Tensor> m : missing.entrySet()) {
      String inexact = ExactIntegers.violation(m.getValue(), "constant '" + m.getKey() + "'");
      if (inexact != null) {
        throw new ModelException(inexact);
      }
    }
    if (!missing.isEmpty() || buffers.isEmpty()) {
      long size = 0;
      for (Tensor t : missing.values()) {
        size += aligned(t);
      }
      // At least 4 bytes: a model without constants still owns a (tiny) weights buffer.
      DeviceBuffer buffer = device.allocate(Math.max(4, size));
      buffers.add(buffer);
      residentBytes += buffer.sizeBytes();
      long offset = 0;
      for (Map.Entry<String, Tensor> m : missing.entrySet()) {
        BufferSlice s = buffer.slice(offset, 4L * m.getValue().size());
        offset += aligned(m.getValue());
        CompletableFuture<Void> up = device.upload(m.getValue().toFloats(), s, device.defaultStream()).toCompletableFuture();
        entries.computeIfAbsent(m.getKey(), k -> new ArrayList<>()).add(new Entry(m.getValue(), s, up));
        slices.put(m.getKey(), s);
        waits.add(up);
      }
      if (constants.isEmpty()) {
        bytes = buffer.sizeBytes();
      }
    }
    return new Resolved(slices, CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)), bytes);
  }

  synchronized void register(CompiledModel model) {
    users.add(model);
  }

  /**
   * Closes every model compiled against these weights, then frees them; idempotent.
   *
   * @throws IllegalStateException while one of those models has live requests (nothing is freed
   *     then: finish or abort them and close again)
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    for (CompiledModel m : users) {
      if (m.liveRequests() > 0) {
        throw new IllegalStateException("weights of '" + label + "': cannot close while model '" + m.graph().name()
            + "' at batch " + m.graph().batchSize() + " has " + m.liveRequests() + " live request(s)");
      }
    }
    for (CompiledModel m : users) {
      m.close();
    }
    closed = true;
    for (DeviceBuffer b : buffers) {
      device.free(b);
    }
    buffers.clear();
    entries.clear();
    residentBytes = 0;
  }

  private Entry find(String name, Tensor t) {
    List<Entry> l = entries.get(name);
    if (l != null) {
      for (Entry e : l) {
        if (e.tensor() == t || e.tensor().equals(t)) {
          return e;
        }
      }
    }
    return null;
  }

  private static long aligned(Tensor t) {
    return (4L * t.size() + ArenaPlan.ALIGN_BYTES - 1) / ArenaPlan.ALIGN_BYTES * ArenaPlan.ALIGN_BYTES;
  }
}
