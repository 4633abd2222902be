package dev.braid.coordinator.security;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens the front door accepts: a {@link TokenFile}, replaced when the file changes. A
 * change that does not parse is logged (naming the line) and the previous tokens kept, so a typo
 * never locks everyone out; deleting a line revokes that token at the next reload.
 */
public final class TokenRegistry {
  private static final Logger log = LoggerFactory.getLogger(TokenRegistry.class);

  private final Path file;
  private final WatchedFiles watched;
  private volatile TokenFile tokens;

  private TokenRegistry(Path file) throws IOException {
    this.file = file;
    this.watched = new WatchedFiles(List.of(file));
    this.tokens = TokenFile.read(file);
  }

  /** Reads {@code file} now; fails naming the file and line that is wrong. */
  public static TokenRegistry open(Path file) throws IOException {
    return new TokenRegistry(file);
  }

  /** Who {@code token} stands for, if the file holds it. */
  public Optional<TokenIdentity> lookup(String token) {
    return tokens.lookup(token);
  }

  /** How many tokens are accepted now. */
  public int size() {
    return tokens.size();
  }

  /**
   * Re-reads the file when it changed since the last look.
   *
   * @return true when new tokens took effect
   */
  public boolean reloadIfChanged() {
    if (!watched.changed()) {
      return false;
    }
    try {
      TokenFile t = TokenFile.read(file);
      tokens = t;
      log.info("auth: reloaded {} ({} tokens)", file, t.size());
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn("auth: {} changed but does not load, keeping the previous tokens: {}", file, e.getMessage());
      return false;
    }
  }
}
