package dev.braid.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The shared {@code --threads} and {@code --repo} options, parsed as a command that mixes them in would. */
class CpuThreadsOptionTest {
  @Command(name = "t")
  static final class WithOptions {
    @Mixin CpuThreadsOption threads;
    @Mixin ZooRepoOption repo;
  }

  private static WithOptions parse(String... args) {
    WithOptions c = new WithOptions();
    new CommandLine(c).parseArgs(args);
    return c;
  }

  @Test
  void withoutTheFlagTheConfiguredCountIsUsedAndAskedOnlyThen() {
    WithOptions c = parse();
    assertNull(c.threads.given());
    assertEquals(6, c.threads.orElse(() -> 6));
    assertEquals(3, parse("--threads", "3").threads.orElse(() -> {
      throw new AssertionError("the configuration is not read when the flag is given");
    }));
  }

  @Test
  void aCountBelowOneIsRefusedNamingTheFlagAndTheValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> parse("--threads", "0").threads.orElse(() -> 4));
    assertEquals("--threads: expected an integer >= 1, got 0", e.getMessage());
  }

  @Test
  void aRepoGivenIsTakenAsIs() {
    assertEquals(java.nio.file.Path.of("/some/repo"),
        parse("--repo", "/some/repo").repo.orZoo(new java.io.PrintWriter(java.io.Writer.nullWriter())));
  }
}
