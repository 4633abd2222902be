package dev.braid.coordinator.frontend.internal;

import com.google.protobuf.ByteString;
import dev.braid.model.Tensor;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.InferTensorContents;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Triton's classification extension, which tritonclient asks for with
 * {@code InferRequestedOutput(name, class_count=k)}: the requested output's {@value #PARAMETER}
 * parameter (int64 k > 0) turns it into a BYTES tensor of the k highest entries of each batch item,
 * each the string {@code "value:index"} (the value as C's {@code %f} prints it, as Triton's
 * {@code std::to_string} does), highest first; shape {@code [batch, k]} for a batching model, else
 * {@code [k]}, k capped at the entries there are. Braid reads no label files, so the strings never
 * carry Triton's third {@code :label} part.
 */
public final class Classification {
  public static final String PARAMETER = "classification";

  private Classification() {}

  /** The class count that {@code params} (a requested output's) ask for; 0 when none. */
  public static int classCount(String output, Map<String, InferParameter> params) {
    InferParameter p = params.get(PARAMETER);
    if (p == null) {
      return 0;
    }
    long k = switch (p.getParameterChoiceCase()) {
      case INT64_PARAM -> p.getInt64Param();
      case UINT64_PARAM -> p.getUint64Param();
      default -> -1;
    };
    if (k < 0) {
      throw Statuses.invalidArgument("output '" + output + "': parameter '" + PARAMETER
          + "': expected an int64 >= 0 (the class count), received " + p.toString().trim());
    }
    return (int) Math.min(k, Integer.MAX_VALUE);
  }

  /** The k-highest strings of {@code t}, batch item by batch item. */
  public static Result of(Tensor t, int k, boolean batched) {
    int batch = batched && t.shape().rank() > 0 ? t.shape().dim(0) : 1;
    int entries = batch == 0 ? 0 : t.size() / batch;
    int count = Math.min(k, entries);
    List<ByteString> strings = new ArrayList<>(batch * count);
    for (int b = 0; b < batch; b++) {
      int base = b * entries;
      // Highest first; equal values in index order.
      IntStream.range(0, entries).boxed()
          .sorted(Comparator.comparingDouble((Integer i) -> -t.get(base + i)))
          .limit(count)
          .forEach(i -> strings.add(ByteString.copyFrom(format(t, base + i) + ":" + i, StandardCharsets.UTF_8)));
    }
    long[] shape = batched ? new long[] {batch, count} : new long[] {count};
    return new Result(shape, strings);
  }

  private static String format(Tensor t, int i) {
    return t.isFloating() ? String.format(Locale.ROOT, "%f", t.get(i)) : Long.toString(t.longs()[i]);
  }

  /** A BYTES output: its shape and its strings. */
  public record Result(long[] shape, List<ByteString> strings) {
    /** The strings as raw_output_contents: each a 4-byte little-endian length, then its bytes. */
    public ByteString raw() {
      int size = strings.stream().mapToInt(s -> 4 + s.size()).sum();
      ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
      for (ByteString s : strings) {
        b.putInt(s.size());
        s.copyTo(b);
      }
      return ByteString.copyFrom(b.array());
    }

    /** The strings as typed contents. */
    public InferTensorContents contents() {
      return InferTensorContents.newBuilder().addAllBytesContents(strings).build();
    }
  }
}
