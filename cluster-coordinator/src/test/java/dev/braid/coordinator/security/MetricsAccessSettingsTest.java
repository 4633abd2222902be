package dev.braid.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.braid.config.SettingsException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How {@code braid.frontend.metrics-security} resolves against the front door's files. */
class MetricsAccessSettingsTest {
  static Config conf(String text) {
    return ConfigFactory.parseString(text).withFallback(ConfigFactory.load());
  }

  @Test
  void theDefaultIsOpenAndPlainEvenWithTheFrontDoorsTokens() {
    MetricsAccessSettings s = MetricsAccessSettings.from(conf("braid.frontend.auth.tokens-file = /t"));
    assertFalse(s.tokens());
    assertFalse(s.tls());
  }

  @Test
  void tokenModeUsesTheFrontDoorsTokensFile() {
    MetricsAccessSettings s = MetricsAccessSettings.from(conf(
        "braid.frontend.auth.tokens-file = /etc/braid/tokens\nbraid.frontend.metrics-security.auth = token"));
    assertEquals(Optional.of(Path.of("/etc/braid/tokens")), s.tokensFile());
  }

  @Test
  void tokenModeWithoutATokensFileIsRefusedNamingBothKeys() {
    SettingsException e = assertThrows(SettingsException.class, () -> MetricsAccessSettings.from(conf(
        "braid.frontend.metrics-security.auth = token")));
    assertTrue(e.getMessage().startsWith("braid.frontend.metrics-security.auth: expected off, or token together "
        + "with braid.frontend.auth.tokens-file"), e.getMessage());
  }

  @Test
  void anUnknownModeIsRefusedNamingTheValue() {
    SettingsException e = assertThrows(SettingsException.class, () -> MetricsAccessSettings.from(conf(
        "braid.frontend.metrics-security.auth = basic")));
    assertEquals("braid.frontend.metrics-security.auth: expected off or token, got 'basic'", e.getMessage());
  }

  @Test
  void tlsFollowsTheFrontDoorUnlessTheBlockNamesItsOwnFiles() {
    String front = "braid.frontend.tls { cert-chain = /f.pem, private-key = /f.key, client-ca = /ca.pem }\n";
    MetricsAccessSettings follows = MetricsAccessSettings.from(conf(front));
    assertEquals(Optional.of(Path.of("/f.pem")), follows.certChain());
    assertEquals(Optional.of(Path.of("/f.key")), follows.privateKey());
    assertEquals(Optional.empty(), follows.portSettings().clientCa(), "a scraper is never asked for a certificate");
    MetricsAccessSettings own = MetricsAccessSettings.from(conf(front
        + "braid.frontend.metrics-security { cert-chain = /m.pem, private-key = /m.key }"));
    assertEquals(Optional.of(Path.of("/m.pem")), own.certChain());
    assertEquals(Optional.of(Path.of("/m.key")), own.privateKey());
    assertTrue(MetricsAccessSettings.from(conf("braid.frontend.metrics-security { cert-chain = /m.pem, "
        + "private-key = /m.key }")).tls(), "its own files without the front door's");
  }

  @Test
  void aCertificateWithoutItsKeyIsRefused() {
    SettingsException e = assertThrows(SettingsException.class, () -> MetricsAccessSettings.from(conf(
        "braid.frontend.metrics-security.cert-chain = /m.pem")));
    assertTrue(e.getMessage().startsWith("braid.frontend.metrics-security.private-key: expected a PEM file beside"),
        e.getMessage());
  }

  @Test
  void scrapingNeedsTheMetricsOrTheAdminRole() {
    assertEquals(Set.of(Role.METRICS, Role.ADMIN), MetricsAccessSettings.SCRAPE_ROLES);
    TokenIdentity infer = new TokenIdentity("t", Set.of(Role.INFER, Role.REPOSITORY));
    assertFalse(infer.mayUse(MetricsAccessSettings.SCRAPE_ROLES));
    assertTrue(new TokenIdentity("m", Set.of(Role.METRICS)).mayUse(MetricsAccessSettings.SCRAPE_ROLES));
  }
}
