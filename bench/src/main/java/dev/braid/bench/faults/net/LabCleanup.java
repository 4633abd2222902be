package dev.braid.bench.faults.net;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Removing what network labs made: one namespace (SIGKILLing the processes still inside it first)
 * or one root-namespace link, and the leftovers of labs whose JVM is gone (their names carry the
 * owner's pid, see {@link LabNames}). Each removal records what it could not remove instead of
 * stopping, so that a {@link NetLab#close} after a half-made lab tries every step. Kept apart from
 * {@link NetLab}, which makes and rewires a lab, because clean-up also runs without a lab (the
 * leftovers of crashed runs) and reads the host's state through {@code ip} alone.
 */
final class LabCleanup {
  private LabCleanup() {}

  /**
   * Removes labs left by JVMs that are no longer running (a crashed or killed test run): every
   * namespace and root-namespace link whose name carries a dead owner's pid.
   */
  static void removeLeftovers() throws IOException {
    List<String> failures = new ArrayList<>();
    for (String ns : namespaceNames()) {
      if (ownerGone(ns)) {
        removeNamespace(ns, failures);
      }
    }
    for (String link : linkNames()) {
      if (ownerGone(link)) {
        removeLink(link, failures);
      }
    }
    if (!failures.isEmpty()) {
      System.err.println("network lab: could not remove leftovers " + failures);
    }
  }

  private static boolean ownerGone(String name) {
    OptionalLong owner = LabNames.owner(name);
    return owner.isPresent() && ProcessHandle.of(owner.getAsLong()).map(p -> !p.isAlive()).orElse(true);
  }

  /** Namespace names from {@code ip netns list} ("NAME" or "NAME (id: N)" per line). */
  static List<String> namespaceNames() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : IpCommand.ipQuietly("netns", "list").stdout().split("\n")) {
      String[] t = line.trim().split("\\s+");
      if (!t[0].isEmpty()) {
        out.add(t[0]);
      }
    }
    return out;
  }

  /** Link names from {@code ip -o link show} ("N: NAME[@PEER]: <FLAGS> ..." per line). */
  static List<String> linkNames() throws IOException {
    List<String> out = new ArrayList<>();
    for (String line : IpCommand.ipQuietly("-o", "link", "show").stdout().split("\n")) {
      String[] t = line.trim().split("\\s+");
      if (t.length > 1) {
        String name = t[1];
        int at = name.indexOf('@');
        name = at >= 0 ? name.substring(0, at) : name;
        out.add(name.endsWith(":") ? name.substring(0, name.length() - 1) : name);
      }
    }
    return out;
  }

  static void removeNamespace(String ns, Collection<String> failures) throws IOException {
    for (String pid : IpCommand.ipQuietly("netns", "pids", ns).stdout().split("\\s+")) {
      if (!pid.isBlank()) {
        ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(p -> {
          p.destroyForcibly();
          try {
            p.onExit().get(10, TimeUnit.SECONDS);
          } catch (Exception e) {
            failures.add("process " + pid.strip() + " in " + ns + " (still running after SIGKILL)");
          }
        });
      }
    }
    IpCommand.Result del = IpCommand.ipQuietly("netns", "del", ns);
    if (!del.ok() && namespaceNames().contains(ns)) {
      failures.add("namespace " + ns + " (" + del.stderr().strip() + ")");
    }
  }

  static void removeLink(String link, Collection<String> failures) throws IOException {
    IpCommand.Result del = IpCommand.ipQuietly("link", "del", link);
    if (!del.ok() && IpCommand.ipQuietly("link", "show", link).ok()) {
      failures.add("link " + link + " (" + del.stderr().strip() + ")");
    }
  }
}
