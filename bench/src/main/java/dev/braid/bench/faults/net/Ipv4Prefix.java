package dev.braid.bench.faults.net;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * An IPv4 prefix such as {@code 10.231.7.0/24}, and the choice of a private /24 for a lab that
 * overlaps nothing the host already routes or holds. Pure: the host's prefixes are given.
 *
 * @param address the prefix's first address, as an unsigned 32-bit value in an int
 * @param length  the prefix length, 0 to 32
 */
record Ipv4Prefix(int address, int length) {
  /**
   * Labs take their /24 from 10.231.0.0/16: inside RFC 1918's 10/8, away from the 10.0.x and
   * 10.96.x-10.244.x blocks that Docker and Kubernetes hand out by default.
   */
  private static final int LAB_BLOCK = (10 << 24) | (231 << 16);

  Ipv4Prefix {
    if (length < 0 || length > 32) {
      throw new IllegalArgumentException("prefix length must be 0..32, got " + length);
    }
    if ((address & ~mask(length)) != 0) {
      throw new IllegalArgumentException("address " + dotted(address) + " has bits beyond /" + length);
    }
  }

  /** Parses {@code a.b.c.d} (a /32) or {@code a.b.c.d/len}; host bits beyond len are cleared. */
  static Ipv4Prefix parse(String text) {
    int slash = text.indexOf('/');
    String addr = slash < 0 ? text : text.substring(0, slash);
    int len;
    try {
      len = slash < 0 ? 32 : Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not an IPv4 prefix: '" + text + "'");
    }
    String[] parts = addr.split("\\.", -1);
    if (parts.length != 4 || len < 0 || len > 32) {
      throw new IllegalArgumentException("not an IPv4 prefix: '" + text + "'");
    }
    int a = 0;
    for (String p : parts) {
      int octet;
      try {
        octet = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not an IPv4 prefix: '" + text + "'");
      }
      if (octet < 0 || octet > 255) {
        throw new IllegalArgumentException("not an IPv4 prefix: '" + text + "' (octet " + octet + ")");
      }
      a = (a << 8) | octet;
    }
    return new Ipv4Prefix(a & mask(len), len);
  }

  /** Whether the two prefixes share an address. */
  boolean overlaps(Ipv4Prefix other) {
    int shorter = Math.min(length, other.length);
    return ((address ^ other.address) & mask(shorter)) == 0;
  }

  /** The host address {@code host} within this prefix (1 is the first after the network address). */
  String host(int host) {
    if (host <= 0 || host >= (1L << (32 - length)) - 1) {
      throw new IllegalArgumentException("host " + host + " is outside " + this);
    }
    return dotted(address + host);
  }

  /**
   * The first /24 of the lab block, starting at {@code start} (mod 256) and wrapping, that overlaps
   * none of {@code taken}; the default route (/0) is not counted, since every host has one.
   */
  static Optional<Ipv4Prefix> freeLabSubnet(Collection<Ipv4Prefix> taken, int start) {
    for (int i = 0; i < 256; i++) {
      Ipv4Prefix candidate = new Ipv4Prefix(LAB_BLOCK | (Math.floorMod(start + i, 256) << 8), 24);
      boolean free = taken.stream().filter(t -> t.length > 0).noneMatch(candidate::overlaps);
      if (free) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /**
   * The IPv4 prefixes in the output of {@code ip -4 -o addr show} and {@code ip -4 route show table
   * all}: an {@code inet a.b.c.d/len} field, or a route's destination (after an optional route
   * type); {@code default} is skipped.
   */
  static List<Ipv4Prefix> fromIpOutput(String text) {
    List<Ipv4Prefix> found = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] tokens = line.trim().split("\\s+");
      for (int i = 0; i < tokens.length; i++) {
        if (tokens[i].equals("inet") && i + 1 < tokens.length) {
          tryParse(tokens[i + 1]).ifPresent(found::add);
        }
      }
      int first = 0;
      if (tokens.length > 1 && ROUTE_TYPES.contains(tokens[0])) {
        first = 1;
      }
      if (tokens.length > first && !line.contains(" inet ")) {
        tryParse(tokens[first]).ifPresent(found::add);
      }
    }
    return found;
  }

  private static final List<String> ROUTE_TYPES = List.of("unicast", "local", "broadcast", "multicast",
      "anycast", "unreachable", "blackhole", "prohibit", "throw", "nat");

  private static Optional<Ipv4Prefix> tryParse(String token) {
    if (token.isEmpty() || !Character.isDigit(token.charAt(0))) {
      return Optional.empty();
    }
    try {
      return Optional.of(parse(token));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static int mask(int length) {
    return length == 0 ? 0 : -1 << (32 - length);
  }

  private static String dotted(int a) {
    return ((a >>> 24) & 255) + "." + ((a >>> 16) & 255) + "." + ((a >>> 8) & 255) + "." + (a & 255);
  }

  @Override
  public String toString() {
    return dotted(address) + "/" + length;
  }
}
