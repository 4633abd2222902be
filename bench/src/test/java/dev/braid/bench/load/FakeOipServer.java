package dev.braid.bench.load;

import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import dev.braid.protocol.grpc.ModelMetadataRequest;
import dev.braid.protocol.grpc.ModelMetadataResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A deliberately slow and failing Open Inference Protocol server for the load generator's tests:
 * one model "fake" with input x FP32 [-1, 4]; ModelInfer runs on ONE worker thread that sleeps
 * {@code serviceMillis} per call (so calls queue as on a saturated server), and every
 * {@code failEvery}-th call (counted from 1; 0: never) is failed with {@code failWith} instead.
 * With {@code admitPerSecond > 0} a token bucket (that rate, a burst of 10) refuses the calls over
 * it at once with RESOURCE_EXHAUSTED, as an admission controller does: a capacity that does not
 * depend on how fast this machine is.
 */
final class FakeOipServer implements AutoCloseable {
  final AtomicLong calls = new AtomicLong();
  final AtomicReference<ModelInferRequest> lastRequest = new AtomicReference<>();
  private final Server server;
  private final ExecutorService worker = Executors.newSingleThreadExecutor();

  private final double admitPerSecond;
  private double tokens = 10;
  private long lastRefill = System.nanoTime();

  FakeOipServer(long serviceMillis, int failEvery, Status failWith) throws IOException {
    this(serviceMillis, failEvery, failWith, 0);
  }

  private synchronized boolean admit() {
    if (admitPerSecond <= 0) {
      return true;
    }
    long now = System.nanoTime();
    tokens = Math.min(10, tokens + (now - lastRefill) / 1e9 * admitPerSecond);
    lastRefill = now;
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  FakeOipServer(long serviceMillis, int failEvery, Status failWith, double admitPerSecond) throws IOException {
    this.admitPerSecond = admitPerSecond;
    GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase service = new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
      @Override
      public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> observer) {
        if (!request.getName().equals("fake")) {
          observer.onError(Status.NOT_FOUND.withDescription("no model '" + request.getName() + "'").asException());
          return;
        }
        observer.onNext(ModelMetadataResponse.newBuilder().setName("fake").addVersions("1").setPlatform("fake")
            .addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("x").setDatatype("FP32")
                .addAllShape(List.of(-1L, 4L)))
            .addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("y").setDatatype("FP32")
                .addAllShape(List.of(-1L, 4L)))
            .build());
        observer.onCompleted();
      }

      @Override
      public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
        lastRequest.set(request);
        if (!admit()) {
          observer.onError(Status.RESOURCE_EXHAUSTED.withDescription("over the admitted rate").asException());
          return;
        }
        worker.execute(() -> {
          long n = calls.incrementAndGet();
          try {
            Thread.sleep(serviceMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          if (failEvery > 0 && n % failEvery == 0) {
            observer.onError(failWith.asException());
          } else {
            observer.onNext(ModelInferResponse.newBuilder().setModelName("fake").build());
            observer.onCompleted();
          }
        });
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    worker.shutdownNow();
  }
}
