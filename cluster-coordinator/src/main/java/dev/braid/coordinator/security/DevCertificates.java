package dev.braid.coordinator.security;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Throwaway certificates and tokens for trying Braid's TLS and authentication on one machine
 * ({@code braid certs dev}); tests use them too. NOT FOR PRODUCTION: the CA's key is discarded
 * (nothing more can be signed, so nothing can be rotated: run it again for a new set), every key
 * is unencrypted on disk, and the PKCS#12 password is the public {@value #STORE_PASSWORD}.
 *
 * <p>What {@link #write} leaves in the directory (P-256 keys, {@link #VALIDITY} of validity):
 * <ul>
 *   <li>{@code ca.pem}: the CA that signed the rest (clients' {@code --ca}, servers' client CA);
 *   <li>{@code server.pem} (chain: server, CA) and {@code server.key}: the front door's, for
 *       {@code localhost}, {@code 127.0.0.1}, {@code ::1} and the extra hosts given;
 *   <li>{@code client.pem} and {@code client.key}: a client certificate for mutual TLS;
 *   <li>{@code node.p12} (key and chain) and {@code truststore.p12} (the CA): a cluster node's
 *       Artery keys; {@code node.pem}/{@code node.key} the same in PEM; {@code cluster-tls.conf}:
 *       the {@code braid.cluster.tls} block pointing at them;
 *   <li>{@code tokens}: a tokens file (SHA-256 hashes) of three fresh tokens, whose plain text is
 *       in {@code infer.token} (tenant {@code dev}, role infer), {@code repository.token} (role
 *       repository) and {@code admin.token} (role admin);
 *   <li>{@code NOT-FOR-PRODUCTION.txt}.
 * </ul>
 */
public final class DevCertificates {
  /** The password of the PKCS#12 files: public, as everything here. */
  public static final String STORE_PASSWORD = "braid-dev";
  /** How long the certificates are valid: long enough to try things, short enough to expire. */
  public static final Duration VALIDITY = Duration.ofDays(30);

  private static final String WARNING = "NOT FOR PRODUCTION";

  private final SecureRandom random = new SecureRandom();
  private final KeyPair caKeys;
  private final X509Certificate ca;
  private final Instant now = Instant.now();

  private DevCertificates() throws GeneralSecurityException {
    caKeys = keyPair();
    X500Name name = new X500Name("CN=Braid dev CA (" + WARNING + ")");
    try {
      ca = sign(builder(name, name, caKeys)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign)));
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** What {@link #write} wrote: the files, and the plain tokens. */
  public record Written(Path dir, List<Path> files, String inferToken, String repositoryToken, String adminToken,
      String metricsToken) {}

  /**
   * Writes a fresh CA, server, client and node certificates, and a tokens file, into {@code dir}
   * (created if missing; existing files of these names are replaced).
   *
   * @param extraHosts more names or addresses the server and node certificates are valid for
   */
  public static Written write(Path dir, List<String> extraHosts) throws IOException {
    try {
      return new DevCertificates().writeAll(dir, extraHosts);
    } catch (GeneralSecurityException e) {
      throw new IOException("could not generate the dev certificates: " + e.getMessage(), e);
    }
  }

  private Written writeAll(Path dir, List<String> extraHosts) throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    Set<String> hosts = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    hosts.addAll(extraHosts);
    List<Path> files = new ArrayList<>();
    files.add(text(dir.resolve("ca.pem"), Pem.encode(ca)));

    KeyPair serverKeys = keyPair();
    X509Certificate server = leaf("braid-server", serverKeys, hosts, KeyPurposeId.id_kp_serverAuth);
    files.add(text(dir.resolve("server.pem"), Pem.encode(server, ca)));
    files.add(text(dir.resolve("server.key"), Pem.encode(serverKeys.getPrivate())));

    KeyPair clientKeys = keyPair();
    X509Certificate client = leaf("braid-client", clientKeys, Set.of(), KeyPurposeId.id_kp_clientAuth);
    files.add(text(dir.resolve("client.pem"), Pem.encode(client, ca)));
    files.add(text(dir.resolve("client.key"), Pem.encode(clientKeys.getPrivate())));

    // A node both accepts and opens Artery connections: server and client authentication.
    KeyPair nodeKeys = keyPair();
    X509Certificate node = leaf("braid-node", nodeKeys, hosts, KeyPurposeId.id_kp_serverAuth,
        KeyPurposeId.id_kp_clientAuth);
    files.add(text(dir.resolve("node.pem"), Pem.encode(node, ca)));
    files.add(text(dir.resolve("node.key"), Pem.encode(nodeKeys.getPrivate())));
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    keyStore.load(null, null);
    keyStore.setKeyEntry("braid-node", nodeKeys.getPrivate(), STORE_PASSWORD.toCharArray(),
        new X509Certificate[] {node, ca});
    files.add(store(dir.resolve("node.p12"), keyStore));
    KeyStore trustStore = KeyStore.getInstance("PKCS12");
    trustStore.load(null, null);
    trustStore.setCertificateEntry("braid-dev-ca", ca);
    files.add(store(dir.resolve("truststore.p12"), trustStore));
    files.add(text(dir.resolve("cluster-tls.conf"), ClusterTls.snippet(dir.resolve("node.p12").toAbsolutePath(),
        dir.resolve("truststore.p12").toAbsolutePath(), STORE_PASSWORD)));

    String infer = BearerTokens.newToken();
    String repository = BearerTokens.newToken();
    String admin = BearerTokens.newToken();
    String metrics = BearerTokens.newToken();
    files.add(text(dir.resolve("tokens"), "# " + WARNING + ": dev tokens written by `braid certs dev`.\n"
        + TokenFile.HEADER
        + TokenFile.line(infer, "dev", Set.of(Role.INFER)) + "\n"
        + TokenFile.line(repository, "dev", Set.of(Role.REPOSITORY)) + "\n"
        + TokenFile.line(admin, "operators", Set.of(Role.ADMIN)) + "\n"
        + TokenFile.line(metrics, "monitoring", Set.of(Role.METRICS)) + "\n"));
    files.add(text(dir.resolve("infer.token"), infer + "\n"));
    files.add(text(dir.resolve("repository.token"), repository + "\n"));
    files.add(text(dir.resolve("admin.token"), admin + "\n"));
    files.add(text(dir.resolve("metrics.token"), metrics + "\n"));
    files.add(text(dir.resolve("NOT-FOR-PRODUCTION.txt"), WARNING + """
        : throwaway certificates and tokens from `braid certs dev`, for trying TLS on
        one machine. The CA's private key was discarded, every key here is unencrypted, the PKCS#12
        password is the public 'braid-dev', and the certificates expire after 30 days.
        Use your organisation's CA (or cert-manager, Vault, ...) for anything real.
        """));
    return new Written(dir, files, infer, repository, admin, metrics);
  }

  private X509Certificate leaf(String cn, KeyPair keys, Set<String> hosts, KeyPurposeId... purposes)
      throws GeneralSecurityException {
    X509v3CertificateBuilder b = builder(new X500Name("CN=" + cn + " (" + WARNING + ")"),
        new X500Name(ca.getSubjectX500Principal().getName()), keys);
    try {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes))
          .addExtension(Extension.authorityKeyIdentifier, false,
              new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(ca));
      if (!hosts.isEmpty()) {
        List<GeneralName> names = new ArrayList<>();
        for (String h : hosts) {
          names.add(isAddress(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return sign(b);
  }

  private X509v3CertificateBuilder builder(X500Name subject, X500Name issuer, KeyPair keys)
      throws GeneralSecurityException {
    X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, random),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(VALIDITY)), subject, keys.getPublic());
    try {
      return b.addExtension(Extension.subjectKeyIdentifier, false,
          new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private X509Certificate sign(X509v3CertificateBuilder b) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    } catch (OperatorCreationException | java.security.cert.CertificateException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    return g.generateKeyPair();
  }

  private static boolean isAddress(String host) {
    if (!host.matches("[0-9a-fA-F.:]+") || !(host.contains(".") || host.contains(":"))) {
      return false;
    }
    try {
      InetAddress.getByName(host); // a literal: no lookup happens
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static Path text(Path file, String content) throws IOException {
    Files.writeString(file, content, StandardCharsets.US_ASCII);
    String name = file.getFileName().toString();
    if (name.endsWith(".key") || name.endsWith(".token")) {
      ownerOnly(file);
    }
    return file;
  }

  /** rw------- where the file system has POSIX permissions: private keys and tokens. */
  private static void ownerOnly(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException notPosix) {
      // Windows: the directory's ACL applies
    }
  }

  private static Path store(Path file, KeyStore store) throws IOException, GeneralSecurityException {
    try (OutputStream out = Files.newOutputStream(file)) {
      store.store(out, STORE_PASSWORD.toCharArray());
    }
    ownerOnly(file);
    return file;
  }
}
