package dev.braid.coordinator.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * A fingerprint of a few files (modification time, size and file key of each), to tell whether
 * any changed since the last look. Certificate managers (cert-manager, Kubernetes secrets) replace
 * files by renaming a new one over the old or by swapping a symlink; both change the fingerprint.
 * A file that cannot be read has a fingerprint too ("missing"), so its return counts as a change.
 */
final class WatchedFiles {
  private final List<Path> files;
  private List<String> last;

  WatchedFiles(List<Path> files) {
    this.files = List.copyOf(files);
    this.last = fingerprint();
  }

  /** True once per change: when the files differ from the last time this answered true. */
  synchronized boolean changed() {
    List<String> now = fingerprint();
    if (now.equals(last)) {
      return false;
    }
    last = now;
    return true;
  }

  private List<String> fingerprint() {
    List<String> f = new ArrayList<>();
    for (Path p : files) {
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        f.add(a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey());
      } catch (IOException e) {
        f.add("missing");
      }
    }
    return f;
  }
}
