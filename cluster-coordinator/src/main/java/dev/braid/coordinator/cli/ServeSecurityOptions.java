package dev.braid.coordinator.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.braid.coordinator.security.FrontDoorSecurity;
import dev.braid.coordinator.security.FrontDoorSecuritySettings;
import dev.braid.coordinator.security.MetricsAccessSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code braid serve}'s security flags, each overriding its {@code braid.frontend.tls.*} or
 * {@code braid.frontend.auth.*} key (see {@link FrontDoorSecuritySettings}).
 */
final class ServeSecurityOptions {
  @Option(names = "--tls-cert", description = "PEM certificate chain of the front door (with --tls-key: TLS on gRPC "
      + "and HTTP) (default: braid.frontend.tls.cert-chain, none).")
  Path tlsCert;

  @Option(names = "--tls-key", description = "PEM private key of --tls-cert (default: braid.frontend.tls.private-key).")
  Path tlsKey;

  @Option(names = "--tls-client-ca", description = "PEM CA bundle client certificates must chain to: mutual TLS "
      + "(default: braid.frontend.tls.client-ca, none).")
  Path tlsClientCa;

  @Option(names = "--tokens-file", description = "Tokens file (SHA-256 TENANT ROLES a line): bearer tokens required "
      + "(default: braid.frontend.auth.tokens-file, none).")
  Path tokensFile;

  @Option(names = "--metrics-auth", description = "off or token: whether GET /metrics needs a bearer token with the "
      + "role metrics or admin from --tokens-file (default: braid.frontend.metrics-security.auth, off).")
  String metricsAuth;

  /** {@code config} with the flags given over it. */
  Config applyTo(Config config) {
    Config c = config;
    c = set(c, FrontDoorSecuritySettings.TLS + ".cert-chain", tlsCert);
    c = set(c, FrontDoorSecuritySettings.TLS + ".private-key", tlsKey);
    c = set(c, FrontDoorSecuritySettings.TLS + ".client-ca", tlsClientCa);
    if (metricsAuth != null) {
      c = c.withValue(MetricsAccessSettings.KEY + ".auth", ConfigValueFactory.fromAnyRef(metricsAuth));
    }
    return set(c, FrontDoorSecuritySettings.AUTH + ".tokens-file", tokensFile);
  }

  /**
   * Reads the files now, so that a wrong path fails before any model loads, and prints the one
   * warning line when the front door would be open to other machines.
   */
  void check(Config config, String host, PrintWriter out) throws IOException {
    FrontDoorSecuritySettings s = FrontDoorSecuritySettings.from(config);
    FrontDoorSecurity.start(s).close();
    MetricsAccessSettings metrics = MetricsAccessSettings.from(config);
    FrontDoorSecurity.forMetrics(metrics).close();
    s.openWarning(host).ifPresent(out::println);
    if (s.tls() || s.tokens()) {
      out.printf("front door security: %s, %s; %s%n", s.tls() ? (s.mutualTls() ? "mutual TLS" : "TLS") : "no TLS",
          s.tokens() ? "bearer tokens from " + s.tokensFile().get() : "no tokens", metrics.describe());
    }
  }

  private static Config set(Config c, String key, Path value) {
    return value == null ? c : c.withValue(key, ConfigValueFactory.fromAnyRef(value.toString()));
  }
}
