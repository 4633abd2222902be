package dev.braid.coordinator.frontend;

import io.grpc.ForwardingServerCallListener;
import io.grpc.ServerCall;

/**
 * A server call listener that forwards to the service until its subclass refuses the call (having
 * closed it with a status), and drops everything after: the rest of the messages, the half-close
 * and the readiness signals, so the service never sees a call that was answered already. Used by
 * the front door's guards (parse failures, model names, the token's tenant).
 *
 * <p>Not thread-safe, as gRPC requires of listeners: the call's serialized executor is the only
 * caller.
 */
public abstract class RefusingListener<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
  private boolean refused;

  protected RefusingListener(ServerCall.Listener<Q> delegate) {
    super(delegate);
  }

  /** Records that the call was closed; from now on nothing reaches the service. */
  protected final void refused() {
    refused = true;
  }

  protected final boolean isRefused() {
    return refused;
  }

  @Override
  public void onHalfClose() {
    if (!refused) {
      super.onHalfClose();
    }
  }

  @Override
  public void onReady() {
    if (!refused) {
      super.onReady();
    }
  }
}
