package dev.braid.model.repo;

import java.util.List;
import java.util.TreeSet;

/** Which numbered versions of a model are served; Triton's default is the latest one. */
public sealed interface VersionPolicy {
  /** The versions to serve out of those present (any order in, ascending out). */
  List<Long> select(List<Long> available);

  /** The {@code numVersions} highest versions. */
  record Latest(int numVersions) implements VersionPolicy {
    public Latest {
      if (numVersions < 1) {
        throw new IllegalArgumentException("version_policy.latest.num_versions must be >= 1, got " + numVersions);
      }
    }

    @Override
    public List<Long> select(List<Long> available) {
      List<Long> sorted = List.copyOf(new TreeSet<>(available));
      return sorted.subList(Math.max(0, sorted.size() - numVersions), sorted.size());
    }
  }

  /** Every version present. */
  record All() implements VersionPolicy {
    @Override
    public List<Long> select(List<Long> available) {
      return List.copyOf(new TreeSet<>(available));
    }
  }

  /** Exactly these versions (each must be present; the repository checks). */
  record Specific(List<Long> versions) implements VersionPolicy {
    public Specific {
      versions = List.copyOf(new TreeSet<>(versions));
    }

    @Override
    public List<Long> select(List<Long> available) {
      return versions;
    }
  }
}
