package dev.braid.coordinator.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.coordinator.frontend.RequestParameters;
import dev.braid.protocol.grpc.InferParameter;
import dev.braid.protocol.grpc.ModelInferRequest;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tokens file, bearer headers, method roles and the tenant rule, as pure functions. */
class TokenFileTest {
  @Test
  void aTokenIsFoundByItsHashWithItsTenantAndRoles() {
    String a = BearerTokens.newToken();
    String b = BearerTokens.newToken();
    TokenFile f = TokenFile.parse("t", TokenFile.HEADER + TokenFile.line(a, "acme", Set.of(Role.INFER)) + "\n\n"
        + "sha256:" + BearerTokens.hashHex(b).toUpperCase() + " ops admin,repository\n");
    assertEquals(2, f.size());
    assertEquals(Optional.of(new TokenIdentity("acme", Set.of(Role.INFER))), f.lookup(a));
    assertEquals(Optional.of(new TokenIdentity("ops", Set.of(Role.ADMIN, Role.REPOSITORY))), f.lookup(b));
    assertTrue(f.lookup(BearerTokens.newToken()).isEmpty());
    assertTrue(f.lookup("").isEmpty());
  }

  @Test
  void theFileHoldsNoPlainTokens() {
    String t = BearerTokens.newToken();
    assertFalse(TokenFile.line(t, "acme", Set.of(Role.INFER)).contains(t));
    assertTrue(t.startsWith("braid_") && t.length() == 6 + 43, t);
  }

  @Test
  void badLinesAreRefusedNamingTheLineWithoutEchoingAToken() {
    String plain = BearerTokens.newToken();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenFile.parse("tokens", "# c\n" + plain + " acme infer\n"));
    assertTrue(e.getMessage().startsWith("tokens line 2: expected the token's SHA-256"), e.getMessage());
    assertFalse(e.getMessage().contains(plain), e.getMessage());
    String hash = BearerTokens.hashHex(plain);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parse("tokens", hash + " acme"))
        .getMessage().contains("3 fields"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parse("tokens", hash + " a/b infer"))
        .getMessage().contains("got 'a/b'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parse("tokens", hash + " a root"))
        .getMessage().contains("expected a role infer, repository, admin or metrics, got 'root'"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> TokenFile.parse("tokens", hash + " a admin,infer"))
        .getMessage().contains("the admin role is a credential of its own"));
  }

  @Test
  void bearerHeaderIsParsedStrictly() {
    assertEquals(Optional.of("abc"), BearerTokens.fromHeader("Bearer abc"));
    assertEquals(Optional.of("abc"), BearerTokens.fromHeader("bearer  abc "));
    assertTrue(BearerTokens.fromHeader(null).isEmpty());
    assertTrue(BearerTokens.fromHeader("Basic abc").isEmpty());
    assertTrue(BearerTokens.fromHeader("Bearer ").isEmpty());
    assertTrue(BearerTokens.fromHeader("Bearer    ").isEmpty());
  }

  @Test
  void healthIsOpenAdminNeedsAdminAndUnknownMethodsNeedAdmin() {
    assertEquals(Set.of(), MethodRoles.required("inference.GRPCInferenceService/ServerLive"));
    assertEquals(Set.of(), MethodRoles.required("inference.GRPCInferenceService/ServerReady"));
    assertEquals(Set.of(Role.INFER), MethodRoles.required("inference.GRPCInferenceService/ModelInfer"));
    assertEquals(Set.of(Role.REPOSITORY), MethodRoles.required("inference.GRPCInferenceService/RepositoryModelUnload"));
    assertEquals(Set.of(Role.ADMIN), MethodRoles.required("braid.admin.v1.BraidAdmin/DrainNode"));
    assertEquals(Set.of(Role.ADMIN), MethodRoles.required("grpc.reflection.v1.ServerReflection/Info"));
  }

  @Test
  void theTenantComesFromTheTokenAndAnotherIsRefused() {
    ModelInferRequest none = ModelInferRequest.newBuilder().setModelName("m").build();
    assertEquals("acme", AuthInterceptor.withTenant(none, "acme").orElseThrow().getParametersMap()
        .get(RequestParameters.TENANT).getStringParam());
    ModelInferRequest same = none.toBuilder().putParameters(RequestParameters.TENANT,
        InferParameter.newBuilder().setStringParam("acme").build()).build();
    assertEquals(Optional.of(same), AuthInterceptor.withTenant(same, "acme"));
    ModelInferRequest other = none.toBuilder().putParameters(RequestParameters.TENANT,
        InferParameter.newBuilder().setStringParam("globex").build()).build();
    assertTrue(AuthInterceptor.withTenant(other, "acme").isEmpty());
    ModelInferRequest notString = none.toBuilder().putParameters(RequestParameters.TENANT,
        InferParameter.newBuilder().setInt64Param(1).build()).build();
    assertTrue(AuthInterceptor.withTenant(notString, "acme").isEmpty());
  }

  @Test
  void theOpenWarningIsForNonLoopbackBindsWithoutTlsOrTokens() {
    assertTrue(FrontDoorSecuritySettings.OFF.openWarning("0.0.0.0").orElseThrow().startsWith("WARNING: "));
    assertTrue(FrontDoorSecuritySettings.OFF.openWarning("127.0.0.1").isEmpty());
    assertTrue(FrontDoorSecuritySettings.OFF.openWarning("localhost").isEmpty());
    FrontDoorSecuritySettings tokens = new FrontDoorSecuritySettings(Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.of(java.nio.file.Path.of("t")), java.time.Duration.ofSeconds(1));
    assertTrue(tokens.openWarning("0.0.0.0").orElseThrow().contains("with tokens but without TLS: tokens cross the "
        + "network in clear"), "tokens alone can be copied off the wire");
    java.nio.file.Path f = java.nio.file.Path.of("f");
    FrontDoorSecuritySettings tlsOnly = new FrontDoorSecuritySettings(Optional.of(f), Optional.of(f), Optional.empty(),
        Optional.empty(), java.time.Duration.ofSeconds(1));
    assertTrue(tlsOnly.openWarning("0.0.0.0").orElseThrow().contains("with TLS but neither tokens nor client "
        + "certificates: anyone who reaches it can run"), "TLS alone admits anyone");
    assertTrue(tlsOnly.openWarning("127.0.0.1").isEmpty());
    assertTrue(new FrontDoorSecuritySettings(Optional.of(f), Optional.of(f), Optional.empty(), Optional.of(f),
        java.time.Duration.ofSeconds(1)).openWarning("0.0.0.0").isEmpty(), "TLS and tokens");
    assertTrue(new FrontDoorSecuritySettings(Optional.of(f), Optional.of(f), Optional.of(f), Optional.empty(),
        java.time.Duration.ofSeconds(1)).openWarning("0.0.0.0").isEmpty(), "mutual TLS");
  }
}
