package dev.braid.coordinator.admin;

import dev.braid.coordinator.admin.internal.AdminProtos;
import dev.braid.protocol.admin.BraidAdminGrpc;
import dev.braid.protocol.admin.ClusterStatusRequest;
import dev.braid.protocol.admin.ClusterStatusResponse;
import dev.braid.protocol.admin.DrainNodeRequest;
import dev.braid.protocol.admin.DrainNodeResponse;
import dev.braid.protocol.admin.SetPolicyRequest;
import dev.braid.protocol.admin.SetPolicyResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Braid's admin service ({@code braid.admin.v1.BraidAdmin}) over grpc-java: a thin adapter that
 * checks the request, asks the {@link AdminBackend}, and turns its answer into the proto.
 *
 * <p>Errors, each with a description naming what was wrong: a missing or malformed field is
 * INVALID_ARGUMENT (naming the field, the expected form and the value received); a backend that
 * failed or did not answer in time is UNAVAILABLE (the operator may retry); DrainNode of an
 * address the coordinator does not know is NOT_FOUND; a policy a GPU refused is INVALID_ARGUMENT
 * with the coordinator's reason. A drain that is refused for another reason (the node cannot be
 * drained now) is answered OK with {@code safe_to_remove = false} and the reason.
 */
public final class AdminService extends BraidAdminGrpc.BraidAdminImplBase {
  /** The form of a node address, as error messages show it. */
  public static final String NODE_ADDRESS_FORM = "pekko://braid@host:port";

  /** pekko://SYSTEM@HOST:PORT (the host may be an IPv6 literal in brackets). */
  private static final Pattern NODE_ADDRESS = Pattern.compile("pekko://[^@/\\s]+@[^/\\s]+:\\d{1,5}");

  private static final Logger log = LoggerFactory.getLogger(AdminService.class);

  private final AdminBackend backend;

  public AdminService(AdminBackend backend) {
    this.backend = java.util.Objects.requireNonNull(backend, "backend");
  }

  @Override
  public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
    answer("ClusterStatus", backend::status, AdminProtos::status, out);
  }

  @Override
  public void drainNode(DrainNodeRequest request, StreamObserver<DrainNodeResponse> out) {
    String address = request.getNodeAddress();
    if (!NODE_ADDRESS.matcher(address).matches()) {
      out.onError(invalidArgument("node_address: expected a cluster address \"" + NODE_ADDRESS_FORM + "\", got '"
          + address + "'"));
      return;
    }
    log.info("drain of node {} requested", address);
    answer("DrainNode(" + address + ")", () -> backend.drain(address), reply -> {
      if (AdminBackend.isUnknownNode(reply)) {
        throw Status.NOT_FOUND.withDescription(reply.message()).asRuntimeException();
      }
      log.info("drain of node {}: safe to remove {}: {}", address, reply.safeToRemove(), reply.message());
      return AdminProtos.drain(reply);
    }, out);
  }

  @Override
  public void setPolicy(SetPolicyRequest request, StreamObserver<SetPolicyResponse> out) {
    String gpu = request.getGpuId();
    String policy = request.getPolicy();
    if (gpu.isBlank()) {
      out.onError(invalidArgument("gpu_id: expected a GPU id \"" + NODE_ADDRESS_FORM + "#ordinal\" or \"*\", got '"
          + gpu + "'"));
      return;
    }
    if (policy.isBlank()) {
      out.onError(invalidArgument("policy: expected a scheduling policy name (space-time, fifo, ...), got '"
          + policy + "'"));
      return;
    }
    log.info("policy {} requested for GPU {}", policy, gpu);
    answer("SetPolicy(" + gpu + ", " + policy + ")", () -> backend.setPolicy(gpu, policy), result -> {
      if (!result.accepted()) {
        throw invalidArgument(result.message());
      }
      return AdminProtos.policy(result);
    }, out);
  }

  /**
   * Asks the backend and answers {@code out} with the converted reply, or with the status the
   * failure stands for. {@code convert} may itself throw a {@link StatusRuntimeException} (a reply
   * that is a refusal).
   */
  private static <T, R> void answer(String what, Supplier<CompletionStage<T>> ask, Function<T, R> convert,
      StreamObserver<R> out) {
    if (out instanceof ServerCallStreamObserver<R> call) {
      call.setOnCancelHandler(() -> { }); // answering a cancelled call is then a no-op, not an error
    }
    CompletionStage<T> stage;
    try {
      stage = ask.get();
    } catch (RuntimeException e) {
      out.onError(backendFailed(what, e));
      return;
    }
    stage.whenComplete((reply, failure) -> {
      if (failure != null) {
        out.onError(backendFailed(what, failure));
        return;
      }
      R response;
      try {
        response = convert.apply(reply);
      } catch (StatusRuntimeException e) {
        out.onError(e);
        return;
      } catch (RuntimeException e) {
        out.onError(Status.INTERNAL.withDescription("admin service could not answer " + what + ": " + e)
            .withCause(e).asRuntimeException());
        return;
      }
      out.onNext(response);
      out.onCompleted();
    });
  }

  /** UNAVAILABLE: the coordinator did not answer, or could not be asked; the operator may retry. */
  private static StatusRuntimeException backendFailed(String what, Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof StatusRuntimeException s) {
      return s;
    }
    String description = cause instanceof TimeoutException
        ? "the coordinator did not answer " + what + " in time: " + cause.getMessage()
        : "the coordinator could not answer " + what + ": " + cause;
    log.warn("{}", description);
    return Status.UNAVAILABLE.withDescription(description).withCause(cause).asRuntimeException();
  }

  private static StatusRuntimeException invalidArgument(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
  }
}
