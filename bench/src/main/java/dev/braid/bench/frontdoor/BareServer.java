package dev.braid.bench.frontdoor;

import dev.braid.protocol.grpc.GRPCInferenceServiceGrpc;
import dev.braid.protocol.grpc.ModelInferRequest;
import dev.braid.protocol.grpc.ModelInferResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling: grpc-java's Netty server with the same builder settings as Braid's
 * {@code FrontDoorServer} (default executor), implementing only ModelInfer, which answers at once
 * with a fixed response. No model, no actor, no device: only gRPC's own cost.
 */
final class BareServer implements AutoCloseable {
  private final Server server;

  private BareServer(Server server) {
    this.server = server;
  }

  static BareServer start(String host) throws IOException {
    ModelInferResponse response = TinyModel.fixedResponse();
    GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase service = new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
      @Override
      public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> observer) {
        observer.onNext(response);
        observer.onCompleted();
      }
    };
    return new BareServer(NettyServerBuilder.forAddress(new InetSocketAddress(host, 0)).addService(service).build().start());
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
