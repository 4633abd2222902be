package dev.braid.gpu.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link ZooFixture} of the given models for one test class, written into a temporary directory
 * of its own: built before the class's {@code @BeforeAll} methods, closed (and its directory
 * deleted) after its {@code @AfterAll} methods, so that a class that shuts down something of its
 * own there (an ActorTestKit) still does so before the zoo closes. Register it as
 * {@code @RegisterExtension static final ZooExtension ZOO = new ZooExtension("mlp");}.
 */
public final class ZooExtension implements BeforeAllCallback, AfterAllCallback {
  private final String[] names;
  private Path repo;
  private ZooFixture zoo;

  public ZooExtension(String... names) {
    this.names = names.clone();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    repo = Files.createTempDirectory("braid-zoo-");
    zoo = new ZooFixture(repo, names);
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    try {
      if (zoo != null) {
        zoo.close();
      }
    } finally {
      zoo = null;
      if (repo != null) {
        deleteRecursively(repo);
        repo = null;
      }
    }
  }

  /** The fixture; only between the class's first and last test. */
  public ZooFixture zoo() {
    if (zoo == null) {
      throw new IllegalStateException("the zoo exists only while the test class runs");
    }
    return zoo;
  }

  /** The directory the models were written to (a model repository); only while the class runs. */
  public Path repo() {
    if (repo == null) {
      throw new IllegalStateException("the zoo's directory exists only while the test class runs");
    }
    return repo;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}
