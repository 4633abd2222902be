package dev.braid.coordinator.security;

import dev.braid.coordinator.frontend.RequestParameters;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import io.grpc.ForwardingServerCall;
import dev.braid.coordinator.frontend.RefusingListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Bearer-token authentication and role checks on every gRPC call of the front door, before the
 * service sees it (so before any model work): a call to an open method ({@link MethodRoles}) passes;
 * otherwise a missing, malformed or unknown token is closed UNAUTHENTICATED, and a known token
 * without a role the method needs PERMISSION_DENIED. The UNAUTHENTICATED message is the same
 * whatever was wrong, so it does not tell which tokens exist.
 *
 * <p>The tenant of ModelInfer and ModelStreamInfer is the token's: a request without
 * {@code braid.tenant} gets the token's tenant written in, one naming the same tenant passes
 * unchanged, and one naming another tenant (or a non-string) closes the call PERMISSION_DENIED
 * (for a stream, the whole stream: it was sent by a client that claims what it may not).
 */
public final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of(BearerTokens.HEADER, Metadata.ASCII_STRING_MARSHALLER);

  /** The one answer to any token that is not accepted. */
  static final String UNAUTHENTICATED = "a valid bearer token is required (metadata 'authorization: Bearer <token>')";

  private final TokenRegistry tokens;

  public AuthInterceptor(TokenRegistry tokens) {
    this.tokens = tokens;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Set<Role> needed = MethodRoles.required(method);
    if (needed.isEmpty()) {
      return next.startCall(call, headers);
    }
    Optional<TokenIdentity> who = BearerTokens.fromHeader(headers.get(AUTHORIZATION)).flatMap(tokens::lookup);
    if (who.isEmpty()) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription(UNAUTHENTICATED));
    }
    if (!who.get().mayUse(needed)) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription(call.getMethodDescriptor().getBareMethodName()
          + " needs a token with the role " + needed.stream().sorted().map(Role::configName)
          .collect(Collectors.joining(" or ")) + "; this token's roles are "
          + who.get().roles().stream().sorted().map(Role::configName).collect(Collectors.joining(", "))));
    }
    if (!MethodRoles.carriesTenant(method)) {
      return next.startCall(call, headers);
    }
    GuardedCall<Q, R> guarded = new GuardedCall<>(call);
    return new TenantListener<>(next.startCall(guarded, headers), guarded, who.get().tenant());
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /**
   * The request with the token's tenant, or empty when it names another one. Pure.
   *
   * @param tenant the token's tenant
   */
  static Optional<ModelInferRequest> withTenant(ModelInferRequest request, String tenant) {
    InferParameter claimed = request.getParametersMap().get(RequestParameters.TENANT);
    if (claimed == null) {
      return Optional.of(request.toBuilder()
          .putParameters(RequestParameters.TENANT, InferParameter.newBuilder().setStringParam(tenant).build()).build());
    }
    boolean same = claimed.getParameterChoiceCase() == InferParameter.ParameterChoiceCase.STRING_PARAM
        && claimed.getStringParam().equals(tenant);
    return same ? Optional.of(request) : Optional.empty();
  }

  /**
   * A call the interceptor may close while the service answers on it from other threads: every
   * send and close goes through one lock, and nothing is sent after the interceptor closed it.
   */
  private static final class GuardedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private boolean closed;

    GuardedCall(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    /** Closes the call unless it already was; true when this closed it. */
    synchronized boolean refuse(Status status) {
      if (closed) {
        return false;
      }
      closed = true;
      delegate().close(status, new Metadata());
      return true;
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!closed) {
        super.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (!closed) {
        super.sendMessage(message);
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (!closed) {
        closed = true;
        super.close(status, trailers);
      }
    }
  }

  /** Gives each request the token's tenant, or refuses the call; after a refusal drops the rest. */
  private static final class TenantListener<Q, R> extends RefusingListener<Q> {
    private final GuardedCall<Q, R> call;
    private final String tenant;

    TenantListener(ServerCall.Listener<Q> delegate, GuardedCall<Q, R> call, String tenant) {
      super(delegate);
      this.call = call;
      this.tenant = tenant;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onMessage(Q message) {
      if (isRefused()) {
        return;
      }
      if (!(message instanceof ModelInferRequest request)) {
        // a request that did not parse, which ParseFailures (inside this interceptor) answers
        super.onMessage(message);
        return;
      }
      Optional<ModelInferRequest> bound = withTenant(request, tenant);
      if (bound.isEmpty()) {
        refused();
        call.refuse(Status.PERMISSION_DENIED.withDescription("parameter '" + RequestParameters.TENANT
            + "': a token may act only for its own tenant, and this request names another"));
        return;
      }
      super.onMessage((Q) bound.get());
    }
  }
}
