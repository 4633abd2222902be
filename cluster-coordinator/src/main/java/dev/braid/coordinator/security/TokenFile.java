package dev.braid.coordinator.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A tokens file: one token a line, as {@code SHA256-HEX TENANT ROLE[,ROLE...]}, blank lines and
 * {@code #} comments ignored. The file holds only hashes: a token is the secret its holder
 * presents, and the file can be read without granting anything. The admin role is a credential of
 * its own: a line may not give {@code admin} together with {@code infer}.
 *
 * <p>{@link #lookup} compares the presented token's hash with every entry in constant time (no
 * early exit on a match or on a differing byte), so neither its timing nor its answer tells a
 * caller which tokens exist.
 */
public final class TokenFile {
  /** The comment lines a generated file starts with. */
  public static final String HEADER = "# One token a line: SHA256-HEX TENANT ROLE[,ROLE...]; roles: infer, repository, "
      + "admin, metrics\n# (hash a new token with `braid tokens new`).\n";

  private static final Pattern HASH = Pattern.compile("(sha256:)?[0-9a-fA-F]{64}");
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private record Entry(byte[] hash, TokenIdentity identity) {}

  private final List<Entry> entries;

  private TokenFile(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** Reads and checks {@code file}; every error names the file and line. */
  public static TokenFile read(Path file) throws IOException {
    return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
  }

  /** Parses a tokens file's text; {@code source} names it in messages. */
  public static TokenFile parse(String source, String text) {
    List<Entry> entries = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = source + " line " + (i + 1);
      String[] fields = line.split("\\s+");
      if (fields.length != 3) {
        throw new IllegalArgumentException(where + ": expected 'SHA256-HEX TENANT ROLE[,ROLE...]' (3 fields), got "
            + fields.length + " fields");
      }
      if (!HASH.matcher(fields[0]).matches()) {
        // never echo the field: it may be a plain token pasted by mistake
        throw new IllegalArgumentException(where + ": expected the token's SHA-256 as 64 hex digits, got "
            + fields[0].length() + " characters that are not one (a plain token? hash it with `braid tokens new`)");
      }
      if (!TENANT.matcher(fields[1]).matches()) {
        throw new IllegalArgumentException(where + ": expected a tenant of 1 to 64 letters, digits, '.', '_' or '-', "
            + "got '" + fields[1] + "'");
      }
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String r : fields[2].split(",")) {
        roles.add(Role.parse(where, r));
      }
      if (roles.contains(Role.ADMIN) && roles.contains(Role.INFER)) {
        throw new IllegalArgumentException(where + ": the admin role is a credential of its own; expected it without "
            + "infer, got '" + fields[2] + "'");
      }
      String hex = fields[0].startsWith("sha256:") ? fields[0].substring(7) : fields[0];
      entries.add(new Entry(HexFormat.of().parseHex(hex.toLowerCase(java.util.Locale.ROOT)),
          new TokenIdentity(fields[1], roles)));
    }
    return new TokenFile(entries);
  }

  /** The line a tokens file holds for {@code token}. */
  public static String line(String token, String tenant, Set<Role> roles) {
    return BearerTokens.hashHex(token) + " " + tenant + " "
        + roles.stream().sorted().map(Role::configName).collect(Collectors.joining(","));
  }

  /** How many tokens the file holds. */
  public int size() {
    return entries.size();
  }

  /** Who {@code token} stands for, if it is one of the file's; constant time over the entries. */
  public Optional<TokenIdentity> lookup(String token) {
    byte[] presented = BearerTokens.sha256(token);
    TokenIdentity found = null;
    for (Entry e : entries) {
      if (MessageDigest.isEqual(e.hash(), presented)) {
        found = e.identity();
      }
    }
    return Optional.ofNullable(found);
  }
}
