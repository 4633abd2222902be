package dev.braid.coordinator.frontend.limits;

import dev.braid.coordinator.frontend.RefusingListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;

/**
 * Precise statuses for requests that fail to parse, where grpc-java answers UNKNOWN ("Application
 * error processing RPC") because the failure surfaces inside the request's parser:
 *
 * <ul>
 *   <li>a compressed message whose inflated size is over the server's limit: grpc-java enforces
 *       {@code maxInboundMessageSize} after decompression by counting the bytes the parser reads
 *       from the inflating stream and failing at the limit, so a gzip bomb is never inflated past
 *       it; answered RESOURCE_EXHAUSTED naming the limit;
 *   <li>bytes that are not the method's request message (found by the fuzz test): answered
 *       INVALID_ARGUMENT naming the message type.
 * </ul>
 *
 * This wraps each method's request marshaller so that such a failure becomes a {@link Refused}
 * message, and closes the call with its status when it arrives, before any handler sees it.
 */
public final class ParseFailures {
  private ParseFailures() {}

  /** A request that failed to parse, answered {@code status}; never reaches a service. */
  record Refused(Status status) {}

  /** {@code service} with every method's parse failures answered with their own status. */
  public static ServerServiceDefinition apply(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(wrap(m));
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> ServerMethodDefinition<Q, R> wrap(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor.Marshaller<Q> inner = m.getMethodDescriptor().getRequestMarshaller();
    String requestType = inner instanceof MethodDescriptor.ReflectableMarshaller<Q> r
        ? r.getMessageClass().getSimpleName() : m.getMethodDescriptor().getFullMethodName() + " request";
    MethodDescriptor.Marshaller<Q> outer = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(Q value) {
        return inner.stream(value);
      }

      @Override
      public Q parse(InputStream stream) {
        try {
          return inner.parse(stream);
        } catch (StatusRuntimeException e) {
          Status status = e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED ? e.getStatus()
              : Status.INVALID_ARGUMENT.withDescription("the request is not a valid " + requestType + ": "
                  + e.getStatus().getDescription());
          return (Q) new Refused(status); // erased: only the listener below sees it
        }
      }
    };
    MethodDescriptor<Q, R> descriptor = m.getMethodDescriptor().toBuilder(outer,
        m.getMethodDescriptor().getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(descriptor, (call, headers) -> guard(call, headers, handler));
  }

  private static <Q, R> ServerCall.Listener<Q> guard(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    return new RefusingListener<>(next.startCall(call, headers)) {

      @Override
      public void onMessage(Q message) {
        if (isRefused()) {
          return;
        }
        if ((Object) message instanceof Refused r) {
          refused();
          call.close(r.status(), new Metadata());
          return;
        }
        super.onMessage(message);
      }
    };
  }
}
