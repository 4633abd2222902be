package dev.braid.coordinator.security;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A client's side of {@link FrontDoorSecurity}, for Braid's own clients ({@code braid infer},
 * {@code status}, {@code drain}, the benchmarks' load clients): TLS that trusts a CA bundle (and
 * presents a client certificate for mutual TLS), and the bearer token on every call.
 */
public final class ClientCredentials {
  private ClientCredentials() {}

  /**
   * Transport credentials: plaintext when neither {@code ca} nor {@code useTls}; TLS trusting
   * {@code ca} (or the JVM's default CAs without it) otherwise, presenting {@code cert}/{@code key}
   * when given.
   */
  public static ChannelCredentials of(boolean useTls, Optional<Path> ca, Optional<Path> cert, Optional<Path> key)
      throws IOException {
    if (cert.isPresent() != key.isPresent()) {
      throw new IllegalArgumentException(cert.isPresent() ? "--key: expected the client certificate's private key "
          + "(PEM) beside --cert, got none" : "--cert: expected the client certificate (PEM) beside --key, got none");
    }
    if (!useTls && ca.isEmpty() && cert.isEmpty()) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
    if (ca.isPresent()) {
      b.trustManager(readable("--ca", ca.get()).toFile());
    }
    if (cert.isPresent()) {
      b.keyManager(readable("--cert", cert.get()).toFile(), readable("--key", key.get()).toFile());
    }
    return b.build();
  }

  /** Sends {@code authorization: Bearer <token>} on every call. */
  public static ClientInterceptor bearer(String token) {
    Metadata.Key<String> key = AuthInterceptor.AUTHORIZATION;
    String value = BearerTokens.header(token);
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(key, value);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  /** The token in {@code file}: its first non-blank line, trimmed. */
  public static String readToken(String flag, Path file) throws IOException {
    for (String line : Files.readAllLines(readable(flag, file), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        return line.strip();
      }
    }
    throw new IllegalArgumentException(flag + ": expected a file whose first line is a token, got an empty " + file);
  }

  private static Path readable(String flag, Path file) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(flag + ": expected a readable file, got '" + file + "'");
    }
    return file;
  }
}
