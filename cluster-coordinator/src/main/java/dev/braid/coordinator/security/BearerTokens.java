package dev.braid.coordinator.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Bearer tokens: how one is made ({@link #newToken}: 256 random bits), how it is stored (its
 * SHA-256, so a stolen tokens file grants nothing) and how a request presents it
 * ({@code authorization: Bearer <token>}, in gRPC metadata or an HTTP header).
 */
public final class BearerTokens {
  /** The header (gRPC metadata key, HTTP header name) that carries the token. */
  public static final String HEADER = "authorization";
  private static final String SCHEME = "Bearer ";
  private static final SecureRandom RANDOM = new SecureRandom();

  private BearerTokens() {}

  /** A fresh token: "braid_" and 43 URL-safe characters (32 random bytes). */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "braid_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** SHA-256 of the token's UTF-8 bytes. */
  public static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** The hex SHA-256 a tokens file stores for {@code token}. */
  public static String hashHex(String token) {
    return HexFormat.of().formatHex(sha256(token));
  }

  /** The value of an {@code authorization} header for {@code token}. */
  public static String header(String token) {
    return SCHEME + token;
  }

  /**
   * The token of an {@code authorization} header value: after "Bearer " (the scheme in any case),
   * trimmed; empty when the header is missing, of another scheme, or blank.
   */
  public static Optional<String> fromHeader(String value) {
    if (value == null || value.length() <= SCHEME.length()
        || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return Optional.empty();
    }
    String token = value.substring(SCHEME.length()).trim();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }
}
