package dev.braid.coordinator.security;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's TLS key material from PEM files (certificate chain, private key, and optionally the
 * CA bundle that client certificates must chain to), replaced in place when the files change: the
 * key manager and trust manager handed to the servers stay the same objects and answer every new
 * handshake from the latest good files, so rotation needs no restart and connections already open
 * carry on. A change that does not load (a half-written file, a key that does not match the
 * certificate) is logged and the previous material kept.
 *
 * <p>Invariant: the key and the first certificate of the chain always belong together (checked
 * before a reload takes effect).
 */
public final class ReloadingTls {
  private static final Logger log = LoggerFactory.getLogger(ReloadingTls.class);

  /** One generation of the key material; the alias changes with each, so no cache mixes two. */
  private record Material(String alias, X509Certificate[] chain, PrivateKey key, Optional<X509ExtendedTrustManager> trust) {}

  private final Path certChain;
  private final Path privateKey;
  private final Optional<Path> clientCa;
  private final WatchedFiles watched;
  private final AtomicLong generation = new AtomicLong();
  private volatile Material current;
  private volatile Material previous;

  private ReloadingTls(Path certChain, Path privateKey, Optional<Path> clientCa) throws IOException {
    this.certChain = certChain;
    this.privateKey = privateKey;
    this.clientCa = clientCa;
    List<Path> files = new ArrayList<>(List.of(certChain, privateKey));
    clientCa.ifPresent(files::add);
    this.watched = new WatchedFiles(files);
    this.current = load();
    this.previous = current;
  }

  /** Loads the files now; fails naming the file that is missing or wrong. */
  public static ReloadingTls open(Path certChain, Path privateKey, Optional<Path> clientCa) throws IOException {
    return new ReloadingTls(certChain, privateKey, clientCa);
  }

  /** Whether client certificates are required (a client CA bundle was given). */
  public boolean mutual() {
    return clientCa.isPresent();
  }

  /**
   * Reloads when a file changed since the last look.
   *
   * @return true when new material took effect
   */
  public boolean reloadIfChanged() {
    if (!watched.changed()) {
      return false;
    }
    try {
      Material m = load();
      previous = current;
      current = m;
      log.info("TLS: reloaded {} (certificate '{}', valid until {})", certChain,
          m.chain()[0].getSubjectX500Principal().getName(), m.chain()[0].getNotAfter().toInstant());
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn("TLS: {} changed but does not load, keeping the previous certificate: {}", certChain, e.getMessage());
      return false;
    }
  }

  /** The certificate the server presents now (the chain's first). */
  public X509Certificate certificate() {
    return current.chain()[0];
  }

  /** The key manager to hand to a server: always the latest material. */
  public X509ExtendedKeyManager keyManager() {
    return keyManager;
  }

  /** The trust manager for client certificates, when {@link #mutual()}: always the latest bundle. */
  public Optional<X509ExtendedTrustManager> trustManager() {
    return clientCa.isPresent() ? Optional.of(trustManager) : Optional.empty();
  }

  /** A JSSE context over the same material (the HTTP server's). */
  public SSLContext sslContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new javax.net.ssl.KeyManager[] {keyManager},
          trustManager().map(t -> new TrustManager[] {t}).orElse(null), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS: this JVM cannot make a TLS context: " + e.getMessage(), e);
    }
  }

  private Material load() throws IOException {
    List<X509Certificate> chain = Pem.certificates(certChain);
    PrivateKey key = Pem.privateKey(privateKey);
    Pem.requireMatch(privateKey, key, certChain, chain.get(0));
    Optional<X509ExtendedTrustManager> trust = Optional.empty();
    if (clientCa.isPresent()) {
      trust = Optional.of(trustManagerOf(clientCa.get(), Pem.certificates(clientCa.get())));
    }
    return new Material("braid-" + generation.incrementAndGet(), chain.toArray(X509Certificate[]::new), key, trust);
  }

  private static X509ExtendedTrustManager trustManagerOf(Path file, List<X509Certificate> cas) throws IOException {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (TrustManager t : f.getTrustManagers()) {
        if (t instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IOException(file + ": this JVM made no X.509 trust manager");
    } catch (GeneralSecurityException e) {
      throw new IOException(file + ": could not make a trust store of it: " + e.getMessage(), e);
    }
  }

  private Material byAlias(String alias) {
    Material c = current;
    if (c.alias().equals(alias)) {
      return c;
    }
    Material p = previous;
    return p.alias().equals(alias) ? p : null;
  }

  private boolean fits(String keyType) {
    String alg = current.key().getAlgorithm();
    return keyType == null || keyType.equals(alg) || keyType.startsWith(alg + "_")
        || (alg.equals("RSA") && keyType.equals("RSASSA-PSS"));
  }

  private final X509ExtendedKeyManager keyManager = new X509ExtendedKeyManager() {
    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return fits(keyType) ? current.alias() : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return fits(keyType) ? current.alias() : null;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return fits(keyType) ? new String[] {current.alias()} : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Material m = byAlias(alias);
      return m == null ? null : m.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Material m = byAlias(alias);
      return m == null ? null : m.key();
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null; // a server's material: never offered as a client certificate
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  };

  private final X509ExtendedTrustManager trustManager = new X509ExtendedTrustManager() {
    private X509ExtendedTrustManager now() {
      return current.trust().orElseThrow();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      now().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      now().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      now().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("a server's trust manager checks clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a server's trust manager checks clients only");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a server's trust manager checks clients only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return now().getAcceptedIssuers();
    }
  };
}
