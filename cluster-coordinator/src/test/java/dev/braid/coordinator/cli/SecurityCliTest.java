package dev.braid.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.security.TokenFile;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's security walk through the CLI classes, in-process: {@code certs dev}, {@code serve}
 * with TLS and tokens, {@code infer} with the CA and a token (and refused without one),
 * {@code status} with the admin token (and refused with an inference token), {@code tokens new}.
 */
class SecurityCliTest {
  @TempDir Path zoo;
  @TempDir Path certs;

  static ServeInferCliTest.Result braid(String... args) {
    return ServeInferCliTest.braid(args);
  }

  @Test
  void certsDevThenServeWithTlsAndTokensThenInferWithTheCaAndAToken() throws Exception {
    ServeInferCliTest.Result c = braid("certs", "dev", "--out", certs.toString());
    assertEquals(0, c.code(), c.err());
    assertTrue(c.out().startsWith("NOT FOR PRODUCTION"), c.out());
    for (String f : new String[] {"ca.pem", "server.pem", "server.key", "client.pem", "client.key", "node.p12",
        "truststore.p12", "cluster-tls.conf", "tokens", "infer.token", "admin.token", "metrics.token",
        "NOT-FOR-PRODUCTION.txt"}) {
      assertTrue(Files.isRegularFile(certs.resolve(f)), f);
    }
    assertEquals(0, braid("models", "generate", "--out", zoo.toString(), "--models", "mlp").code());
    StringWriter serveOut = new StringWriter();
    StringWriter serveErr = new StringWriter();
    CompletableFuture<Integer> serve = CompletableFuture.supplyAsync(() -> BraidCli.execute(
        new String[] {"serve", "--repo", zoo.toString(), "--device", "cpu", "--grpc-port", "0", "--http-port", "0", "--metrics-port", "0",
            "--tls-cert", certs.resolve("server.pem").toString(), "--tls-key", certs.resolve("server.key").toString(),
            "--tokens-file", certs.resolve("tokens").toString()},
        new PrintWriter(serveOut, true), new PrintWriter(serveErr, true)));
    try {
      Pattern serving = Pattern.compile("serving gRPC on :(\\d+), HTTP on :(\\d+)");
      Matcher m;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (!(m = serving.matcher(serveOut.toString())).find()) {
        assertTrue(System.nanoTime() < until && !serve.isDone(), "serve did not start: " + serveOut + serveErr);
        Thread.sleep(50);
      }
      assertTrue(serveOut.toString().contains("front door security: TLS, bearer tokens from"), serveOut.toString());
      assertFalse(serveOut.toString().contains("WARNING"), serveOut.toString());
      String port = m.group(1);
      String ca = certs.resolve("ca.pem").toString();

      ServeInferCliTest.Result ok = braid("infer", "--model", "mlp", "--port", port, "--ca", ca, "--token-file",
          certs.resolve("infer.token").toString());
      assertEquals(0, ok.code(), ok.err());
      assertTrue(ok.out().contains("output logits       FP32 [1, 10]"), ok.out());

      ServeInferCliTest.Result noToken = braid("infer", "--model", "mlp", "--port", port, "--ca", ca);
      assertEquals(1, noToken.code());
      assertTrue(noToken.err().contains("UNAUTHENTICATED"), noToken.err());

      ServeInferCliTest.Result plaintext = braid("infer", "--model", "mlp", "--port", port, "--token-file",
          certs.resolve("infer.token").toString(), "--timeout-ms", "5000");
      assertEquals(1, plaintext.code());
      assertTrue(plaintext.err().contains("UNAVAILABLE"), plaintext.err());

      ServeInferCliTest.Result status = braid("status", "--port", port, "--ca", ca, "--token-file",
          certs.resolve("admin.token").toString());
      assertEquals(0, status.code(), status.err());
      ServeInferCliTest.Result denied = braid("status", "--port", port, "--ca", ca, "--token-file",
          certs.resolve("infer.token").toString());
      assertEquals(1, denied.code());
      assertTrue(denied.err().contains("PERMISSION_DENIED"), denied.err());
    } finally {
      ServeCommand.stopAll();
    }
    assertEquals(0, serve.get(60, TimeUnit.SECONDS), serveErr.toString());
  }

  @Test
  void tokensNewPrintsATokenAndALineThatGrantsIt() throws Exception {
    Path file = certs.resolve("tokens");
    ServeInferCliTest.Result r = braid("tokens", "new", "--tenant", "acme", "--role", "infer,repository", "--append",
        file.toString());
    assertEquals(0, r.code(), r.err());
    String token = r.out().lines().filter(l -> l.startsWith("token ")).findFirst().orElseThrow().replaceAll(".*: ", "");
    TokenFile f = TokenFile.read(file);
    assertEquals("acme", f.lookup(token).orElseThrow().tenant());
    assertFalse(Files.readString(file).contains(token));
    r = braid("tokens", "new", "--tenant", "ops", "--role", "admin,infer");
    assertEquals(BraidCli.EXIT_USAGE, r.code());
    assertTrue(r.err().contains("the admin role is a credential of its own"), r.err());
  }
}
