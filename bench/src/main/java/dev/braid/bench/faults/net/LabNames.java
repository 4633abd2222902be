package dev.braid.bench.faults.net;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names a lab gives its namespaces, links and bridges. Every name starts with
 * {@code brd-<pid><lab>-}: the pid of the JVM that made it in base 36, then one base-36 digit that
 * tells apart the labs of one JVM, so that a later run can tell a crashed run's leftovers (owner no
 * longer alive) from a live run's lab and remove only the former. Link names must fit Linux's 15
 * characters: {@code brd-} (4) + a pid of at most 5 base-36 digits (pid_max is at most 2^22 =
 * "2horm") + the lab digit (1) + {@code -h199} (5) = 15.
 */
final class LabNames {
  static final String MARK = "brd-";
  private static final Pattern OWNED = Pattern.compile("^" + MARK + "([0-9a-z]{1,5})[0-9a-z]-.+");
  private static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  /** Node indices must stay below this so that link names fit in 15 characters. */
  static final int MAX_NODES = 200;

  private final String prefix;

  /** The names of lab number {@code lab} (0..35) of the JVM with pid {@code ownerPid}. */
  LabNames(long ownerPid, int lab) {
    if (lab < 0 || lab >= 36) {
      throw new IllegalArgumentException("lab number must be 0..35, got " + lab);
    }
    this.prefix = MARK + Long.toString(ownerPid, 36) + Character.forDigit(lab, 36) + "-";
  }

  /** What every name of this lab starts with. */
  String prefix() {
    return prefix;
  }

  /** The bridge every node starts on; it holds the root namespace's address in the lab's /24. */
  String mainBridge() {
    return prefix + "a";
  }

  /** The bridge the far side of a partition is moved to: no path to the main bridge. */
  String cutBridge() {
    return prefix + "b";
  }

  /** The namespace of node {@code nodeName}. */
  String namespace(String nodeName) {
    if (!NODE_NAME.matcher(nodeName).matches()) {
      throw new IllegalArgumentException("node name must be 1-64 of [A-Za-z0-9_.-], got '" + nodeName + "'");
    }
    return prefix + nodeName;
  }

  /** The root-namespace end of node {@code index}'s veth pair (a port of a bridge). */
  String hostLink(int index) {
    return prefix + "h" + checkIndex(index);
  }

  /** The namespace end of node {@code index}'s veth pair before it is moved and renamed eth0. */
  String peerLink(int index) {
    return prefix + "p" + checkIndex(index);
  }

  /** The pid of the JVM that made a lab object called {@code name}, if it is one of a lab's names. */
  static OptionalLong owner(String name) {
    Matcher m = OWNED.matcher(name);
    if (!m.matches()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(m.group(1), 36));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static int checkIndex(int index) {
    if (index < 0 || index >= MAX_NODES) {
      throw new IllegalArgumentException("node index must be 0.." + (MAX_NODES - 1) + ", got " + index);
    }
    return index;
  }
}
