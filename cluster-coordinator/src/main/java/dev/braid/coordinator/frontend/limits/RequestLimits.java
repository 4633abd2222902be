package dev.braid.coordinator.frontend.limits;

import com.google.protobuf.ByteString;
import dev.braid.coordinator.frontend.internal.InferInputs;
import dev.braid.coordinator.frontend.internal.OipDatatypes;
import dev.braid.coordinator.frontend.internal.Statuses;
import dev.braid.coordinator.security.ModelNameGuard;
import dev.braid.model.DType;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.InferTensorContents;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferRequest.InferInputTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;

/**
 * A ModelInferRequest checked against {@link InputLimits} and against itself, before the model's
 * configuration is consulted and before any tensor is allocated: whatever a request declares
 * (dimensions, counts, lengths), the front door allocates only after this has bounded it. Pure.
 *
 * <p>A bound exceeded is RESOURCE_EXHAUSTED; a request inconsistent with itself (a negative
 * dimension, raw bytes or typed values that do not fill its shape exactly, a malformed BYTES
 * element, a bad model name, a rank no model has, Triton's shared-memory parameters, since Braid has
 * no shared memory) is INVALID_ARGUMENT. Every message names the
 * input, the limit (with its configuration key) or the expectation, and the value received.
 * Whether the datatype and shape suit the model is {@code InferInputs}'s, after this.
 */
public final class RequestLimits {
  private RequestLimits() {}

  /** Throws the status of the first problem of {@code request}, or returns when it has none. */
  public static void check(ModelInferRequest request, InputLimits limits) {
    checkName(request.getModelName(), limits);
    if (request.getInputsCount() > limits.maxTensors()) {
      throw over("inputs", "inputs", request.getInputsCount(), limits.maxTensors(), "max-tensors");
    }
    if (request.getOutputsCount() > limits.maxTensors()) {
      throw over("requested outputs", "outputs", request.getOutputsCount(), limits.maxTensors(), "max-tensors");
    }
    if (request.getRawInputContentsCount() > limits.maxTensors()) {
      throw over("raw_input_contents", "entries", request.getRawInputContentsCount(), limits.maxTensors(),
          "max-tensors");
    }
    checkParameters("request", request.getParametersMap(), limits);
    for (ModelInferRequest.InferRequestedOutputTensor out : request.getOutputsList()) {
      checkParameters("output '" + out.getName() + "'", out.getParametersMap(), limits);
      InferInputs.refuseSharedMemory("output '" + out.getName() + "'", out.getParametersMap());
    }
    boolean raw = request.getRawInputContentsCount() > 0;
    for (int i = 0; i < request.getInputsCount(); i++) {
      InferInputTensor in = request.getInputs(i);
      String what = "input '" + in.getName() + "'";
      checkParameters(what, in.getParametersMap(), limits);
      InferInputs.refuseSharedMemory(what, in.getParametersMap());
      long elements = elements(what, in, limits);
      DType dtype = OipDatatypes.parse(in.getDatatype());
      if (raw && i < request.getRawInputContentsCount()) {
        checkRaw(what, in.getDatatype(), dtype, elements, request.getRawInputContents(i), limits);
      } else if (!raw) {
        checkContents(what, in.getDatatype(), elements, in.getContents(), limits);
      }
    }
  }

  /** The model name's length and characters ({@link ModelNameGuard#problem} for the characters). */
  static void checkName(String name, InputLimits limits) {
    if (name.length() > limits.maxModelNameLength()) {
      throw Statuses.invalidArgument("model_name: expected at most " + limits.maxModelNameLength()
          + " characters (" + InputLimits.PATH + ".max-model-name-length), received " + name.length());
    }
    Optional<String> problem = ModelNameGuard.problem(name);
    if (problem.isPresent()) {
      throw Statuses.invalidArgument("model_name: " + problem.get());
    }
  }

  /** The product of the input's dimensions, each checked, in exact arithmetic. */
  static long elements(String what, InferInputTensor in, InputLimits limits) {
    if (in.getShapeCount() > limits.maxRank()) {
      throw Statuses.invalidArgument(what + ": shape of rank " + in.getShapeCount() + " is over the limit of "
          + limits.maxRank() + " dimensions (" + InputLimits.PATH + ".max-rank)");
    }
    long product = 1;
    for (int d = 0; d < in.getShapeCount(); d++) {
      long size = in.getShape(d);
      if (size < 0) {
        throw Statuses.invalidArgument(what + ": dimension " + d + " is " + size + "; expected a size >= 0");
      }
      if (size > limits.maxDimension()) {
        throw Statuses.resourceExhausted(what + ": dimension " + d + " is " + size + ", over the limit of "
            + limits.maxDimension() + " (" + InputLimits.PATH + ".max-dimension)");
      }
      try {
        product = Math.multiplyExact(product, size);
      } catch (ArithmeticException e) {
        product = Long.MAX_VALUE; // reported below as over the limit; no wrapped value is ever used
      }
      if (product > limits.maxElements()) {
        throw Statuses.resourceExhausted(what + ": shape " + in.getShapeList() + " has "
            + (product == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : String.valueOf(product))
            + " elements (at least), over the limit of " + limits.maxElements() + " (" + InputLimits.PATH
            + ".max-elements)");
      }
    }
    return product;
  }

  /** Raw bytes: exactly elements times the datatype's size, or well-formed BYTES elements. */
  static void checkRaw(String what, String datatype, DType dtype, long elements, ByteString raw,
      InputLimits limits) {
    if ("BYTES".equals(datatype)) {
      checkRawBytesElements(what, elements, raw, limits);
      return;
    }
    if (dtype == null) {
      return; // an unknown datatype: InferInputs names the expected one
    }
    long expected = Math.multiplyExact(elements, (long) dtype.sizeBytes()); // <= maxElements * 8: no overflow
    if (raw.size() != expected) {
      throw Statuses.invalidArgument(what + ": expected " + expected + " bytes of raw_input_contents (" + elements
          + " " + datatype + " values of " + dtype.sizeBytes() + " bytes), received " + raw.size());
    }
  }

  /** Raw BYTES: {@code elements} times a 4-byte little-endian length and that many bytes. */
  static void checkRawBytesElements(String what, long elements, ByteString raw, InputLimits limits) {
    ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    long count = 0;
    while (b.hasRemaining()) {
      if (b.remaining() < 4) {
        throw Statuses.invalidArgument(what + ": BYTES element " + count + " of raw_input_contents has a truncated"
            + " length prefix (" + b.remaining() + " of 4 bytes)");
      }
      long length = Integer.toUnsignedLong(b.getInt());
      if (length > limits.maxBytesElement()) {
        throw Statuses.resourceExhausted(what + ": BYTES element " + count + " is " + length + " bytes, over the"
            + " limit of " + limits.maxBytesElement() + " (" + InputLimits.PATH + ".max-bytes-element)");
      }
      if (length > b.remaining()) {
        throw Statuses.invalidArgument(what + ": BYTES element " + count + " declares " + length + " bytes, "
            + b.remaining() + " remain in raw_input_contents");
      }
      b.position(b.position() + (int) length);
      count++;
    }
    if (count != elements) {
      throw Statuses.invalidArgument(what + ": expected " + elements + " BYTES elements in raw_input_contents for"
          + " its shape, received " + count);
    }
  }

  /** Typed contents: exactly one value per element (in whichever field), BYTES elements bounded. */
  static void checkContents(String what, String datatype, long elements, InferTensorContents c,
      InputLimits limits) {
    for (int i = 0; i < c.getBytesContentsCount(); i++) {
      int length = c.getBytesContents(i).size();
      if (length > limits.maxBytesElement()) {
        throw Statuses.resourceExhausted(what + ": contents.bytes_contents[" + i + "] is " + length + " bytes, over"
            + " the limit of " + limits.maxBytesElement() + " (" + InputLimits.PATH + ".max-bytes-element)");
      }
    }
    long received = (long) c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount()
        + c.getUintContentsCount() + c.getUint64ContentsCount() + c.getFp32ContentsCount()
        + c.getFp64ContentsCount() + c.getBytesContentsCount();
    if (received != elements) {
      throw Statuses.invalidArgument(what + ": expected " + elements + " " + datatype + " values in contents for"
          + " its shape, received " + received);
    }
  }

  /** The parameter count and each parameter's key plus string value length. */
  static void checkParameters(String what, Map<String, InferParameter> params, InputLimits limits) {
    if (params.size() > limits.maxParameters()) {
      throw over(what + " parameters", "parameters", params.size(), limits.maxParameters(), "max-parameters");
    }
    for (Map.Entry<String, InferParameter> e : params.entrySet()) {
      long size = e.getKey().length() + (long) e.getValue().getStringParamBytes().size();
      if (size > limits.maxParameterBytes()) {
        throw Statuses.resourceExhausted(what + ": parameter '" + abbreviate(e.getKey()) + "' is " + size
            + " bytes (key and value), over the limit of " + limits.maxParameterBytes() + " (" + InputLimits.PATH
            + ".max-parameter-bytes)");
      }
    }
  }

  private static RuntimeException over(String what, String unit, long received, long limit, String key) {
    return Statuses.resourceExhausted(what + ": " + received + " " + unit + ", over the limit of " + limit + " ("
        + InputLimits.PATH + "." + key + ")");
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
