package dev.braid.coordinator.security;

import java.util.Locale;

/**
 * What a token may do on the front door. A call needs one of the roles its method names
 * ({@link MethodRoles}); ServerLive and ServerReady need none (health stays open).
 */
public enum Role {
  /** ModelInfer, ModelStreamInfer, ModelReady, ModelMetadata, ModelConfig, ModelStatistics, ServerMetadata, RepositoryIndex. */
  INFER,
  /** RepositoryModelLoad and RepositoryModelUnload (and RepositoryIndex). */
  REPOSITORY,
  /** Braid's admin service: ClusterStatus, SetPolicy, DrainNode. Never on an inference token. */
  ADMIN,
  /**
   * {@code GET /metrics} when the metrics port asks for tokens ({@link MetricsAccessSettings}); an
   * admin token may scrape too. Nothing on the gRPC port: a scraper's token runs no model.
   */
  METRICS;

  /** The name in tokens files and messages: infer, repository, admin, metrics. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a role's name; {@code where} names the file and line (or key) for the message. */
  public static Role parse(String where, String text) {
    for (Role r : values()) {
      if (r.configName().equals(text)) {
        return r;
      }
    }
    throw new IllegalArgumentException(where + ": expected a role infer, repository, admin or metrics, got '" + text
        + "'");
  }
}
