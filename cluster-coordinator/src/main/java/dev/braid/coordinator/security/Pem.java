package dev.braid.coordinator.security;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM files: certificate chains and bundles ({@code BEGIN CERTIFICATE} blocks, leaf first) and
 * private keys in any of the forms OpenSSL writes (PKCS#8 {@code BEGIN PRIVATE KEY}, or the
 * traditional {@code BEGIN RSA/EC PRIVATE KEY}), unencrypted. Every failure names the file.
 */
public final class Pem {
  private Pem() {}

  /** The certificates of {@code file}, in file order; at least one. */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> certs = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certs.add((X509Certificate) c);
      }
      if (certs.isEmpty()) {
        throw new IOException(file + ": expected PEM certificates (-----BEGIN CERTIFICATE-----), found none");
      }
      return certs;
    } catch (CertificateException e) {
      throw new IOException(file + ": expected PEM certificates, could not parse them: " + e.getMessage(), e);
    }
  }

  /** The one unencrypted private key of {@code file}. */
  public static PrivateKey privateKey(Path file) throws IOException {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (o instanceof PEMKeyPair pair) {
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      throw new IOException(file + ": expected an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----), found "
          + (o == null ? "none" : o.getClass().getSimpleName()));
    } catch (IOException e) {
      throw e.getMessage() != null && e.getMessage().startsWith(file.toString()) ? e
          : new IOException(file + ": could not read a PEM private key: " + e.getMessage(), e);
    }
  }

  /** {@code objects} (certificates, keys) as PEM text; a private key as PKCS#8 ("BEGIN PRIVATE KEY"). */
  public static String encode(Object... objects) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      for (Object o : objects) {
        if (o instanceof PrivateKey key) {
          w.writeObject(new JcaPKCS8Generator(key, null));
        } else {
          w.writeObject(o);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s.toString();
  }

  /** Checks that {@code key} is the private half of {@code leaf}'s public key. */
  static void requireMatch(Path keyFile, PrivateKey key, Path chainFile, X509Certificate leaf) throws IOException {
    String alg = leaf.getPublicKey().getAlgorithm();
    if (!alg.equals(key.getAlgorithm())) {
      throw new IOException(keyFile + ": a " + key.getAlgorithm() + " key does not match the " + alg
          + " certificate of " + chainFile);
    }
    try {
      var sig = java.security.Signature.getInstance(alg.equals("EC") ? "SHA256withECDSA" : "SHA256with" + alg);
      byte[] probe = "braid".getBytes(StandardCharsets.US_ASCII);
      sig.initSign(key);
      sig.update(probe);
      byte[] signed = sig.sign();
      sig.initVerify(leaf.getPublicKey());
      sig.update(probe);
      if (!sig.verify(signed)) {
        throw new IOException(keyFile + ": this private key does not belong to the first certificate of " + chainFile);
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(keyFile + ": could not check the key against " + chainFile + ": " + e.getMessage(), e);
    }
  }
}
