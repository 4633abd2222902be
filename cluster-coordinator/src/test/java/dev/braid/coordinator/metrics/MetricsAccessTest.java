package dev.braid.coordinator.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.braid.coordinator.frontend.FrontendSettings;
import dev.braid.coordinator.frontend.SingleNode;
import dev.braid.coordinator.security.BearerTokens;
import dev.braid.coordinator.security.DevCertificates;
import dev.braid.coordinator.security.Pem;
import dev.braid.device.cpu.CpuDevice;
import dev.braid.gpu.GpuSettings;
import dev.braid.model.repo.ModelRepository;
import dev.braid.model.zoo.ModelZoo;
import dev.braid.model.zoo.ZooOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} with {@code braid.frontend.metrics-security.auth = token} on a node whose
 * front door has TLS and tokens (the files of {@code braid certs dev}), as a scraper meets it:
 * over HTTPS with the front door's certificate, 401 with a Bearer challenge without a valid token,
 * 403 for a token of another role, 200 for the metrics and admin tokens; the health endpoints stay
 * open. Last, a real Prometheus scrapes it with the README's scrape configuration.
 */
class MetricsAccessTest {
  @TempDir static Path repo;
  @TempDir static Path certs;
  static DevCertificates.Written dev;
  static SingleNode node;
  static HttpClient https;

  @BeforeAll
  static void start() throws Exception {
    ModelZoo.generate(repo, ZooOptions.defaults().withModels("mlp"));
    dev = DevCertificates.write(certs, List.of());
    String conf = "braid.frontend.tls.cert-chain = \"" + certs.resolve("server.pem") + "\"\n"
        + "braid.frontend.tls.private-key = \"" + certs.resolve("server.key") + "\"\n"
        + "braid.frontend.auth.tokens-file = \"" + certs.resolve("tokens") + "\"\n"
        + "braid.frontend.metrics-security.auth = token\n";
    node = SingleNode.start(ModelRepository.open(repo), new CpuDevice(2), GpuSettings.defaults(),
        FrontendSettings.load().withPorts(0, 0), ConfigFactory.parseString(conf).withFallback(ConfigFactory.load()),
        "test");
    https = HttpClient.newBuilder().sslContext(trusting(certs.resolve("ca.pem")))
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  static SSLContext trusting(Path caPem) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", Pem.certificates(caPem).get(0));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  static HttpResponse<String> scrape(Optional<String> authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://localhost:" + node.metricsPort() + "/metrics"))
        .timeout(Duration.ofSeconds(10));
    authorization.ifPresent(a -> b.header("Authorization", a));
    return https.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aScrapeWithoutATokenIs401WithABearerChallenge() throws Exception {
    HttpResponse<String> r = scrape(Optional.empty());
    assertEquals(401, r.statusCode(), r.body());
    assertEquals("Bearer realm=\"braid\"", r.headers().firstValue("WWW-Authenticate").orElseThrow());
    assertTrue(r.body().contains("a valid bearer token is required"), r.body());
    assertTrue(!r.body().contains("nv_inference"), "no metric leaks into a refusal");
  }

  @Test
  void anUnknownOrMalformedTokenGetsTheSame401AsNone() throws Exception {
    String none = scrape(Optional.empty()).body();
    for (String header : List.of(BearerTokens.header(BearerTokens.newToken()), "Basic dXNlcjpwYXNz", "Bearer ",
        "Bearer " + dev.metricsToken() + "x")) {
      HttpResponse<String> r = scrape(Optional.of(header));
      assertEquals(401, r.statusCode(), header);
      assertEquals(none, r.body(), "the body does not tell which tokens exist");
      assertTrue(r.headers().firstValue("WWW-Authenticate").orElseThrow().startsWith("Bearer"));
    }
  }

  @Test
  void aTokenWithoutTheMetricsOrAdminRoleIs403() throws Exception {
    for (String token : List.of(dev.inferToken(), dev.repositoryToken())) {
      HttpResponse<String> r = scrape(Optional.of(BearerTokens.header(token)));
      assertEquals(403, r.statusCode(), r.body());
      assertTrue(r.body().contains("GET /metrics needs a token with the role admin or metrics"), r.body());
      assertTrue(r.headers().firstValue("WWW-Authenticate").orElseThrow().contains("insufficient_scope"));
    }
  }

  @Test
  void theMetricsAndAdminTokensScrape200() throws Exception {
    for (String token : List.of(dev.metricsToken(), dev.adminToken())) {
      HttpResponse<String> r = scrape(Optional.of(BearerTokens.header(token)));
      assertEquals(200, r.statusCode(), r.body());
      assertEquals(MetricsServer.CONTENT_TYPE, r.headers().firstValue("Content-Type").orElseThrow());
      assertTrue(r.body().contains("braid_cluster_members"), "the exposition: " + r.body().lines().limit(5).toList());
    }
    HttpResponse<String> head = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + node.metricsPort()
        + "/metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(401, head.statusCode(), "HEAD is refused too");
  }

  @Test
  void theMetricsPortSpeaksOnlyTlsWhenTheFrontDoorDoes() {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(URI.create("http://localhost:"
        + node.metricsPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void theHealthEndpointsStayOpenWithoutAToken() throws Exception {
    for (String path : List.of("/v2/health/live", "/v2/health/ready")) {
      HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + node.httpPort()
          + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), path + ": " + r.body());
    }
  }

  /**
   * Prometheus with the scrape job the README gives (https, a bearer token file, the CA), and a
   * second job without the token: the first is up and brings the series in, the second is down.
   */
  @Test
  void aRealPrometheusScrapesWithTheReadmesTokenAndTlsConfiguration(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(PrometheusScrapeTest.PROMETHEUS), "skipped: "
        + PrometheusScrapeTest.PROMETHEUS + " is not installed (apt-get install prometheus; .ci/run installs it)");
    int promPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      promPort = s.getLocalPort();
    }
    String target = "['127.0.0.1:" + node.metricsPort() + "']";
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
        + "  - job_name: braid\n"
        + "    scheme: https\n"
        + "    authorization:\n"
        + "      type: Bearer\n"
        + "      credentials_file: " + certs.resolve("metrics.token") + "\n"
        + "    tls_config:\n"
        + "      ca_file: " + certs.resolve("ca.pem") + "\n"
        + "    static_configs:\n      - targets: " + target + "\n"
        + "  - job_name: tokenless\n"
        + "    scheme: https\n"
        + "    tls_config:\n"
        + "      ca_file: " + certs.resolve("ca.pem") + "\n"
        + "    static_configs:\n      - targets: " + target + "\n");
    Process prometheus = new ProcessBuilder(PrometheusScrapeTest.PROMETHEUS.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + promPort)
        .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    try {
      String api = "http://127.0.0.1:" + promPort;
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      Optional<Double> up = Optional.empty();
      Optional<Double> tokenless = Optional.empty();
      while (System.nanoTime() < until && !(up.equals(Optional.of(1.0)) && tokenless.equals(Optional.of(0.0)))) {
        Thread.sleep(500);
        try {
          up = PrometheusScrapeTest.query(http, api, "up{job=\"braid\"}");
          tokenless = PrometheusScrapeTest.query(http, api, "up{job=\"tokenless\"}");
        } catch (IOException notUpYet) {
          // Prometheus still starting
        }
      }
      String log = Files.readString(dir.resolve("prometheus.log"));
      assertEquals(Optional.of(1.0), up, "the job with the token scrapes; Prometheus's log:\n" + log);
      assertEquals(Optional.of(0.0), tokenless, "the job without it does not");
      assertTrue(PrometheusScrapeTest.query(http, api, "sum(braid_cluster_members{job=\"braid\",status=\"up\"})")
          .orElseThrow() >= 1, "the series came in");
    } finally {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
  }
}
