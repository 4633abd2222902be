package dev.braid.coordinator.security;

import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelConfigRequest;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelReadyRequest;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import dev.braid.protocol.grpc.RepositoryModelUnloadRequest;
import dev.braid.coordinator.frontend.RefusingListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;

/**
 * Refuses a model name that is not one directory of the repository before the service sees it:
 * a model's name becomes a path under the repository's root ({@code <repo>/<name>/config.pbtxt}),
 * so {@code ../elsewhere} or {@code /etc} in RepositoryModelLoad would make the GPUs load files from
 * outside it. Unary calls carrying a model name (ModelInfer, ModelReady, ModelMetadata, ModelConfig,
 * RepositoryModelLoad, RepositoryModelUnload) get INVALID_ARGUMENT naming the field, the rule and
 * the name received. (ModelStreamInfer's requests never reach the file system: an unknown name is
 * NOT_FOUND from the service.) Symbolic links that lead out of the repository are refused where the
 * files are read ({@link dev.braid.model.repo.ModelRepository}).
 */
public final class ModelNameGuard implements ServerInterceptor {
  /** The longest name accepted: a file name's limit on common file systems. */
  public static final int MAX_LENGTH = 255;

  /** Why {@code name} is not a model name, or empty when it is one. Pure. */
  public static Optional<String> problem(String name) {
    String rule = "expected a model name of 1 to " + MAX_LENGTH + " characters without '/', '\\', control characters, "
        + "and not '.' or '..' (one directory of the repository), got ";
    if (name.isEmpty()) {
      return Optional.empty(); // the service answers an empty name with its own message
    }
    if (name.length() > MAX_LENGTH) {
      return Optional.of("expected a model name of at most " + MAX_LENGTH + " characters, got " + name.length()
          + " characters");
    }
    boolean bad = name.equals(".") || name.equals("..");
    for (int i = 0; i < name.length() && !bad; i++) {
      char c = name.charAt(i);
      bad = c == '/' || c == '\\' || Character.isISOControl(c);
    }
    return bad ? Optional.of(rule + "'" + printable(name) + "'") : Optional.empty();
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append(Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return b.toString();
  }

  /** The model name a request message carries, for the methods this guard covers. */
  private static Optional<String> nameOf(Object message) {
    if (message instanceof ModelInferRequest r) {
      return Optional.of(r.getModelName());
    }
    if (message instanceof ModelReadyRequest r) {
      return Optional.of(r.getName());
    }
    if (message instanceof ModelMetadataRequest r) {
      return Optional.of(r.getName());
    }
    if (message instanceof ModelConfigRequest r) {
      return Optional.of(r.getName());
    }
    if (message instanceof RepositoryModelLoadRequest r) {
      return Optional.of(r.getModelName());
    }
    if (message instanceof RepositoryModelUnloadRequest r) {
      return Optional.of(r.getModelName());
    }
    return Optional.empty();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (call.getMethodDescriptor().getType() != io.grpc.MethodDescriptor.MethodType.UNARY
        || !call.getMethodDescriptor().getServiceName().equals(GRPCInferenceServiceGrpc.SERVICE_NAME)) {
      return next.startCall(call, headers);
    }
    return new RefusingListener<>(next.startCall(call, headers)) {

      @Override
      public void onMessage(Q message) {
        Optional<String> problem = nameOf(message).flatMap(ModelNameGuard::problem);
        if (problem.isPresent()) {
          refused();
          String field = message instanceof ModelReadyRequest || message instanceof ModelMetadataRequest
              || message instanceof ModelConfigRequest ? "name" : "model_name";
          call.close(Status.INVALID_ARGUMENT.withDescription(field + ": " + problem.get()), new Metadata());
          return;
        }
        super.onMessage(message);
      }
    };
  }
}
