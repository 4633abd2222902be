package dev.braid.coordinator.cli;

import dev.braid.coordinator.security.ClientCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The TLS and token options of a command that talks to a running Braid over gRPC ({@code infer},
 * {@code status}, {@code drain}): {@code --ca} (and {@code --tls}) for TLS, {@code --cert} and
 * {@code --key} for mutual TLS, {@code --token-file} or {@code BRAID_TOKEN} for the bearer token.
 */
final class ClientSecurityOptions {
  /** The environment variable a token may come from instead of {@code --token-file}. */
  static final String TOKEN_ENV = "BRAID_TOKEN";

  @Option(names = "--ca", description = "PEM CA bundle the server's certificate must chain to; turns TLS on.")
  Path ca;

  @Option(names = "--tls", description = "Use TLS, trusting the JVM's default CAs unless --ca is given.")
  boolean tls;

  @Option(names = "--cert", description = "PEM client certificate (chain) for mutual TLS, with --key.")
  Path cert;

  @Option(names = "--key", description = "PEM private key of --cert.")
  Path key;

  @Option(names = "--token-file", description = "File whose first line is the bearer token (default: the "
      + TOKEN_ENV + " environment variable, if set).")
  Path tokenFile;

  @Option(names = "--server-name", description = "The name the server's certificate must carry, when --host is an "
      + "address or name the certificate does not list.")
  String serverName;

  /** A channel to {@code host:port} with these options; the caller shuts it down. */
  ManagedChannel open(String host, int port, int maxInboundMessageBytes) throws IOException {
    ManagedChannelBuilder<?> b = Grpc.newChannelBuilderForAddress(host, port,
        ClientCredentials.of(tls, Optional.ofNullable(ca), Optional.ofNullable(cert), Optional.ofNullable(key)));
    token().ifPresent(t -> b.intercept(ClientCredentials.bearer(t)));
    if (serverName != null) {
      b.overrideAuthority(serverName);
    }
    return b.maxInboundMessageSize(maxInboundMessageBytes).build();
  }

  /** The bearer token: from {@code --token-file}, else {@value #TOKEN_ENV}, else none. */
  Optional<String> token() throws IOException {
    if (tokenFile != null) {
      return Optional.of(ClientCredentials.readToken("--token-file", tokenFile));
    }
    String env = System.getenv(TOKEN_ENV);
    return env == null || env.isBlank() ? Optional.empty() : Optional.of(env.strip());
  }
}
