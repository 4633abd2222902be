package dev.braid.coordinator.security;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.braid.config.ConfigValues;
import dev.braid.config.SettingsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Cluster remoting over TLS: {@code braid.cluster.tls} (a PKCS#12 key store with the node's key
 * and certificate chain, a PKCS#12 trust store with the CAs every node's certificate must chain to)
 * turned into Pekko's settings for Artery's {@code tls-tcp} transport with mutual authentication,
 * so that a node without a certificate the cluster trusts can neither join nor send a message: its
 * TLS handshake fails before any Artery frame is read. With no key store set, Artery stays on
 * plaintext TCP (the default, for one machine and for trusted networks).
 *
 * <p>Pekko reads the stores when the node starts; rotation is a rolling restart (see the README's
 * Security section).
 */
public final class ClusterTls {
  /** The HOCON path of this block. */
  public static final String PATH = "braid.cluster.tls";

  private static final String ENGINE = "pekko.remote.artery.ssl.config-ssl-engine.";

  private ClusterTls() {}

  /** {@code config} with Artery's TLS settings from {@value #PATH} over it, or unchanged when unset. */
  public static Config apply(Config config) {
    if (!config.hasPath(PATH + ".key-store")) {
      return config;
    }
    String keyStore = ConfigValues.string(config, PATH + ".key-store").strip();
    if (keyStore.isEmpty()) {
      return config;
    }
    String trustStore = ConfigValues.string(config, PATH + ".trust-store").strip();
    requireFile(PATH + ".key-store", keyStore);
    if (trustStore.isEmpty()) {
      throw SettingsException.invalid(PATH + ".trust-store",
          "a PKCS#12 trust store of the cluster's CA beside " + PATH + ".key-store", "");
    }
    requireFile(PATH + ".trust-store", trustStore);
    String keyPassword = ConfigValues.string(config, PATH + ".key-store-password");
    String trustPassword = ConfigValues.string(config, PATH + ".trust-store-password");
    return ConfigFactory.empty()
        .withValue("pekko.remote.artery.transport", ConfigValueFactory.fromAnyRef("tls-tcp"))
        .withValue("pekko.remote.artery.ssl.ssl-engine-provider",
            ConfigValueFactory.fromAnyRef("org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider"))
        .withValue(ENGINE + "key-store", ConfigValueFactory.fromAnyRef(keyStore))
        .withValue(ENGINE + "key-store-password", ConfigValueFactory.fromAnyRef(keyPassword))
        .withValue(ENGINE + "key-password", ConfigValueFactory.fromAnyRef(keyPassword))
        .withValue(ENGINE + "trust-store", ConfigValueFactory.fromAnyRef(trustStore))
        .withValue(ENGINE + "trust-store-password", ConfigValueFactory.fromAnyRef(trustPassword))
        .withValue(ENGINE + "protocol", ConfigValueFactory.fromAnyRef("TLSv1.3"))
        .withValue(ENGINE + "enabled-algorithms",
            ConfigValueFactory.fromIterable(List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")))
        .withValue(ENGINE + "require-mutual-authentication", ConfigValueFactory.fromAnyRef("on"))
        .withFallback(config);
  }

  /** Whether {@code config} (after {@link #apply}) runs Artery over TLS. */
  public static boolean on(Config config) {
    return config.getString("pekko.remote.artery.transport").equals("tls-tcp");
  }

  /** The {@value #PATH} block for the given stores, as {@code braid certs dev} writes it. */
  public static String snippet(Path keyStore, Path trustStore, String password) {
    return "# Artery over TLS with mutual authentication (braid certs dev: NOT FOR PRODUCTION).\n"
        + "# Use with: BRAID_JAVA_OPTS=\"-Dconfig.file=" + keyStore.resolveSibling("cluster-tls.conf") + "\"\n"
        + "include classpath(\"application\")\n"
        + PATH + " {\n"
        + "  key-store = " + quote(keyStore) + "\n"
        + "  key-store-password = \"" + password + "\"\n"
        + "  trust-store = " + quote(trustStore) + "\n"
        + "  trust-store-password = \"" + password + "\"\n"
        + "}\n";
  }

  private static String quote(Path p) {
    return "\"" + p.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void requireFile(String key, String path) {
    if (!Files.isReadable(Path.of(path))) {
      throw SettingsException.invalid(key, "a readable PKCS#12 file", path);
    }
  }
}
