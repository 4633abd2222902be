package dev.braid.coordinator.security;

import com.typesafe.config.Config;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Transport security and authentication of the front door, from {@code braid.frontend.tls} and
 * {@code braid.frontend.auth} (defaults and a comment per key in this module's
 * {@code reference.conf}; {@code braid serve}'s flags override them). Both are off by default, as
 * suits the quick start on one machine; {@link #openWarning} says when that is unwise.
 *
 * @param certChain PEM: the server's certificate, then its intermediates; with {@code privateKey}
 *     turns TLS on for gRPC and HTTP
 * @param privateKey PEM: the server certificate's private key, unencrypted
 * @param clientCa PEM bundle: when present, clients must present a certificate that chains to it
 *     (mutual TLS)
 * @param tokensFile when present, every gRPC call but ServerLive/ServerReady needs a bearer token
 *     of this {@link TokenFile}
 * @param reloadInterval how often the files are checked for changes
 */
public record FrontDoorSecuritySettings(Optional<Path> certChain, Optional<Path> privateKey, Optional<Path> clientCa,
    Optional<Path> tokensFile, Duration reloadInterval) {
  public static final String TLS = "braid.frontend.tls";
  public static final String AUTH = "braid.frontend.auth";

  /** No TLS, no tokens. */
  public static final FrontDoorSecuritySettings OFF = new FrontDoorSecuritySettings(Optional.empty(), Optional.empty(),
      Optional.empty(), Optional.empty(), Duration.ofSeconds(10));

  public FrontDoorSecuritySettings {
    Objects.requireNonNull(reloadInterval, "reloadInterval");
    if (certChain.isPresent() != privateKey.isPresent()) {
      throw SettingsException.invalid(certChain.isPresent() ? TLS + ".private-key" : TLS + ".cert-chain",
          "a PEM file beside " + (certChain.isPresent() ? TLS + ".cert-chain" : TLS + ".private-key")
              + " (TLS needs both)", "");
    }
    if (clientCa.isPresent() && certChain.isEmpty()) {
      throw SettingsException.invalid(TLS + ".client-ca", "empty unless TLS is on (cert-chain and private-key set)",
          clientCa.get());
    }
    if (reloadInterval.isNegative() || reloadInterval.isZero()) {
      throw SettingsException.invalid(TLS + ".reload-interval", "a duration > 0", reloadInterval);
    }
  }

  /** Reads both blocks from {@code config} (which must include the reference defaults). */
  public static FrontDoorSecuritySettings from(Config config) {
    return new FrontDoorSecuritySettings(path(config, TLS + ".cert-chain"), path(config, TLS + ".private-key"),
        path(config, TLS + ".client-ca"), path(config, AUTH + ".tokens-file"),
        ConfigValues.nonNegativeDuration(config, TLS + ".reload-interval"));
  }

  public boolean tls() {
    return certChain.isPresent();
  }

  public boolean mutualTls() {
    return clientCa.isPresent();
  }

  public boolean tokens() {
    return tokensFile.isPresent();
  }

  /**
   * The one warning line {@code braid serve} prints when bound to {@code host}, reachable from
   * other machines, and what it is given leaves a door open: neither TLS nor tokens; TLS but no
   * access control (no tokens, no client CA: TLS hides the traffic but admits anyone); or tokens
   * without TLS (they cross the network in clear, for anyone on the path to replay). Empty when
   * the bind is loopback-only, or with TLS and tokens or TLS and client certificates.
   */
  public Optional<String> openWarning(String host) {
    if (loopback(host)) {
      return Optional.empty();
    }
    String where = "WARNING: the front door listens on " + host + " (reachable from other machines) ";
    String open = ": anyone who reaches it can run, load and unload models and drain nodes; see the README's "
        + "Security section";
    if (!tls() && !tokens()) {
      return Optional.of(where + "without TLS or tokens" + open + " (--tls-cert/--tls-key, --tokens-file; or "
          + "-Dbraid.frontend.host=127.0.0.1 for this machine only)");
    }
    if (!tokens() && !mutualTls()) {
      return Optional.of(where + "with TLS but neither tokens nor client certificates" + open
          + " (--tokens-file or --tls-client-ca)");
    }
    if (!tls()) {
      return Optional.of(where + "with tokens but without TLS: tokens cross the network in clear, and anyone on the "
          + "path can copy and replay them; see the README's Security section (--tls-cert/--tls-key)");
    }
    return Optional.empty();
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  static Optional<Path> path(Config config, String key) {
    String v = ConfigValues.string(config, key).strip();
    return v.isEmpty() ? Optional.empty() : Optional.of(Path.of(v));
  }
}
