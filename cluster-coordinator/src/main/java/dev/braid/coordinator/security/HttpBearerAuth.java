package dev.braid.coordinator.security;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The bearer-token check of an HTTP endpoint (RFC 6750), against the same {@link TokenRegistry}
 * and constant-time lookup as the gRPC services: a missing, malformed or unknown token is 401 with
 * {@code WWW-Authenticate: Bearer realm="braid"} and one body whatever was wrong (it does not
 * tell which tokens exist); a known token without any of the roles needed is 403 with {@code
 * error="insufficient_scope"}. Pure but for the registry's current tokens.
 */
public final class HttpBearerAuth {
  /** The realm named in every challenge. */
  static final String REALM = "braid";

  /**
   * Why a request is refused.
   *
   * @param status 401 or 403
   * @param challenge the {@code WWW-Authenticate} header's value
   * @param message the plain-text body
   */
  public record Refusal(int status, String challenge, String message) {}

  private final TokenRegistry tokens;

  HttpBearerAuth(TokenRegistry tokens) {
    this.tokens = tokens;
  }

  /**
   * Empty when {@code authorization} (the header's value, null when absent) carries a token holding
   * one of {@code anyOf}; otherwise the refusal.
   *
   * @param resource what was asked for, for the 403 message ("GET /metrics")
   */
  public Optional<Refusal> check(String authorization, Set<Role> anyOf, String resource) {
    Optional<TokenIdentity> who = BearerTokens.fromHeader(authorization).flatMap(tokens::lookup);
    if (who.isEmpty()) {
      return Optional.of(new Refusal(401, "Bearer realm=\"" + REALM + "\"",
          "a valid bearer token is required (header 'Authorization: Bearer <token>')\n"));
    }
    if (who.get().mayUse(anyOf)) {
      return Optional.empty();
    }
    String needed = anyOf.stream().sorted().map(Role::configName).collect(Collectors.joining(" or "));
    return Optional.of(new Refusal(403, "Bearer realm=\"" + REALM + "\", error=\"insufficient_scope\"",
        resource + " needs a token with the role " + needed + "; this token's roles are "
            + who.get().roles().stream().sorted().map(Role::configName).collect(Collectors.joining(", ")) + "\n"));
  }
}
