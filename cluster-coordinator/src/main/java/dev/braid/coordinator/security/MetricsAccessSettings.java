package dev.braid.coordinator.security;

import com.typesafe.config.Config;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who may read a node's {@code GET /metrics}, and over what, from {@code
 * braid.frontend.metrics-security} (defaults and a comment per key in this module's {@code
 * reference.conf}; {@code braid serve --metrics-auth} overrides {@code auth}). Metrics name models,
 * tenants and nodes, and their rates tell what each tenant does; on a shared network an operator
 * protects them like the admin service.
 *
 * <ul>
 *   <li>{@code auth = off} (the default): open to whoever reaches the port, as before;
 *   <li>{@code auth = token}: a bearer token of the front door's tokens file ({@code
 *       braid.frontend.auth.tokens-file}, the same hashes, compared in constant time) holding the
 *       role {@code metrics} or {@code admin}; none or an unknown one is 401 with {@code
 *       WWW-Authenticate: Bearer}, one without either role 403.
 *   <li>TLS: served over HTTPS with the front door's certificate when {@code braid.frontend.tls}
 *       is on, or with this block's own {@code cert-chain} and {@code private-key} when set (these
 *       win); the scraper is never asked for a client certificate. Reloaded like the front door's.
 * </ul>
 *
 * @param tokensFile present: tokens required
 * @param certChain with {@code privateKey}: HTTPS
 * @param privateKey the certificate's key
 * @param reloadInterval how often the files are checked for changes ({@code
 *     braid.frontend.tls.reload-interval})
 */
public record MetricsAccessSettings(Optional<Path> tokensFile, Optional<Path> certChain, Optional<Path> privateKey,
    Duration reloadInterval) {
  /** The HOCON block. */
  public static final String KEY = "braid.frontend.metrics-security";
  /** The roles of which a scraper's token needs one. */
  public static final Set<Role> SCRAPE_ROLES = Set.of(Role.METRICS, Role.ADMIN);

  /** Open and plaintext. */
  public static final MetricsAccessSettings OPEN = new MetricsAccessSettings(Optional.empty(), Optional.empty(),
      Optional.empty(), Duration.ofSeconds(10));

  public MetricsAccessSettings {
    Objects.requireNonNull(tokensFile, "tokensFile");
    Objects.requireNonNull(reloadInterval, "reloadInterval");
    if (certChain.isPresent() != privateKey.isPresent()) {
      throw SettingsException.invalid(certChain.isPresent() ? KEY + ".private-key" : KEY + ".cert-chain",
          "a PEM file beside " + (certChain.isPresent() ? KEY + ".cert-chain" : KEY + ".private-key")
              + " (TLS needs both)", "");
    }
  }

  /**
   * Reads the block from {@code config} (which must include the reference defaults), with the
   * front door's tokens file and TLS files it falls back on.
   */
  public static MetricsAccessSettings from(Config config) {
    FrontDoorSecuritySettings front = FrontDoorSecuritySettings.from(config);
    String auth = ConfigValues.string(config, KEY + ".auth").strip();
    Optional<Path> tokens = switch (auth) {
      case "off" -> Optional.empty();
      case "token" -> {
        if (front.tokensFile().isEmpty()) {
          throw SettingsException.invalid(KEY + ".auth", "off, or token together with "
              + FrontDoorSecuritySettings.AUTH + ".tokens-file (--tokens-file) naming the tokens", "token");
        }
        yield front.tokensFile();
      }
      default -> throw SettingsException.invalid(KEY + ".auth", "off or token", auth);
    };
    Optional<Path> ownChain = FrontDoorSecuritySettings.path(config, KEY + ".cert-chain");
    Optional<Path> ownKey = FrontDoorSecuritySettings.path(config, KEY + ".private-key");
    boolean own = ownChain.isPresent() || ownKey.isPresent();
    return new MetricsAccessSettings(tokens, own ? ownChain : front.certChain(), own ? ownKey : front.privateKey(),
        front.reloadInterval());
  }

  public boolean tokens() {
    return tokensFile.isPresent();
  }

  public boolean tls() {
    return certChain.isPresent();
  }

  /** The same files as the front door's kind of settings (never a client CA: scrapers need none). */
  FrontDoorSecuritySettings portSettings() {
    return new FrontDoorSecuritySettings(certChain, privateKey, Optional.empty(), tokensFile, reloadInterval);
  }

  /** One line for {@code braid serve}: "metrics: token (metrics or admin), https". */
  public String describe() {
    return "metrics: " + (tokens() ? "bearer token with the role metrics or admin" : "open (no token)") + ", "
        + (tls() ? "HTTPS" : "plain HTTP");
  }
}
