package dev.braid.coordinator.frontend.internal;

import dev.braid.coordinator.frontend.InferenceService;
import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelConfigRequest;
import dev.braid.protocol.grpc.ModelStatisticsRequest;
import dev.braid.protocol.grpc.ModelStatisticsResponse;
import dev.braid.protocol.grpc.ModelConfigResponse;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import dev.braid.protocol.grpc.ModelReadyRequest;
import dev.braid.protocol.grpc.ModelReadyResponse;
import dev.braid.protocol.grpc.ModelStreamInferResponse;
import dev.braid.protocol.grpc.RepositoryIndexRequest;
import dev.braid.protocol.grpc.RepositoryIndexResponse;
import dev.braid.protocol.grpc.RepositoryModelLoadRequest;
import dev.braid.protocol.grpc.RepositoryModelLoadResponse;
import dev.braid.protocol.grpc.RepositoryModelUnloadRequest;
import dev.braid.protocol.grpc.RepositoryModelUnloadResponse;
import dev.braid.protocol.grpc.ServerLiveRequest;
import dev.braid.protocol.grpc.ServerLiveResponse;
import dev.braid.protocol.grpc.ServerMetadataRequest;
import dev.braid.protocol.grpc.ServerMetadataResponse;
import dev.braid.protocol.grpc.ServerReadyRequest;
import dev.braid.protocol.grpc.ServerReadyResponse;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * {@link InferenceService} served by grpc-java: each unary RPC completes its observer when the
 * service's stage does; ModelStreamInfer answers each request on the stream as it completes (in
 * completion order, each response carrying its request's id) and completes the stream once the
 * client has half-closed and every answer is sent. The call's deadline, when it has one, is
 * handed to the service as the time remaining.
 */
public final class GrpcJavaBinding extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private final InferenceService service;
  private final int maxStreamInFlight;

  /**
   * @param maxStreamInFlight requests of one ModelStreamInfer stream answered at once: the
   *     binding reads the next request only when fewer are in flight and the client is taking
   *     answers ({@code braid.frontend.limits.max-stream-in-flight})
   */
  public GrpcJavaBinding(InferenceService service, int maxStreamInFlight) {
    this.service = service;
    this.maxStreamInFlight = maxStreamInFlight;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply(service.serverLive(request), out);
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    reply(service.serverReady(request), out);
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    reply(service.modelReady(request), out);
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    reply(service.serverMetadata(request), out);
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    reply(service.modelMetadata(request), out);
  }

  @Override
  public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> out) {
    reply(Statuses.attempt(() -> CompletableFuture.completedFuture(StatisticsWire.answer(service.cluster(), request))),
        out);
  }

  @Override
  public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> out) {
    reply(service.modelConfig(request), out);
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    reply(service.modelInfer(request, callDeadline()), out);
  }

  @Override
  public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> out) {
    ServerCallStreamObserver<ModelStreamInferResponse> call = (ServerCallStreamObserver<ModelStreamInferResponse>) out;
    call.setOnCancelHandler(() -> { });
    // Back-pressure: requests are read from the stream on demand, at most maxStreamInFlight
    // unanswered, and a freed slot is re-offered only while the transport can take answers
    // (isReady); otherwise once it can (the on-ready handler). Memory per stream stays bounded.
    call.disableAutoRequest();
    Optional<Duration> deadline = callDeadline();
    StreamObserver<ModelInferRequest> in = new StreamObserver<>() {
      private int inFlight;
      private int owed; // slots freed while the client was not taking answers
      private boolean halfClosed;
      private boolean done;

      {
        call.setOnReadyHandler(() -> {
          int n;
          synchronized (this) {
            n = owed;
            owed = 0;
          }
          if (n > 0) {
            call.request(n);
          }
        });
      }

      @Override
      public void onNext(ModelInferRequest request) {
        synchronized (this) {
          inFlight++;
        }
        // The stream's deadline bounds every request on it, measured from its own arrival.
        Optional<Duration> left = deadline.isEmpty() ? Optional.empty() : callDeadline();
        service.modelStreamInfer(request, left).whenComplete((response, failure) -> {
          synchronized (this) {
            if (!done) {
              call.onNext(response);
            }
            inFlight--;
            maybeComplete();
            if (!done && !halfClosed) {
              if (call.isReady()) {
                call.request(1);
              } else {
                owed++;
              }
            }
          }
        });
      }

      @Override
      public void onError(Throwable t) {
        synchronized (this) {
          done = true;
        }
      }

      @Override
      public void onCompleted() {
        synchronized (this) {
          halfClosed = true;
          maybeComplete();
        }
      }

      private void maybeComplete() {
        if (halfClosed && inFlight == 0 && !done) {
          done = true;
          call.onCompleted();
        }
      }
    };
    call.request(maxStreamInFlight);
    return in;
  }

  @Override
  public void repositoryIndex(RepositoryIndexRequest request, StreamObserver<RepositoryIndexResponse> out) {
    reply(service.repositoryIndex(request), out);
  }

  @Override
  public void repositoryModelLoad(RepositoryModelLoadRequest request, StreamObserver<RepositoryModelLoadResponse> out) {
    reply(service.repositoryModelLoad(request), out);
  }

  @Override
  public void repositoryModelUnload(RepositoryModelUnloadRequest request,
      StreamObserver<RepositoryModelUnloadResponse> out) {
    reply(service.repositoryModelUnload(request), out);
  }

  /** The time left on the current call's deadline, if it has one. */
  private static Optional<Duration> callDeadline() {
    Deadline d = Context.current().getDeadline();
    return d == null ? Optional.empty() : Optional.of(Duration.ofNanos(d.timeRemaining(TimeUnit.NANOSECONDS)));
  }

  private static <T> void reply(CompletionStage<T> stage, StreamObserver<T> out) {
    if (out instanceof ServerCallStreamObserver<T> call) {
      call.setOnCancelHandler(() -> { }); // answering a cancelled call is then a no-op, not an error
    }
    stage.whenComplete((value, failure) -> {
      if (failure != null) {
        out.onError(Statuses.of(failure));
      } else {
        out.onNext(value);
        out.onCompleted();
      }
    });
  }
}
