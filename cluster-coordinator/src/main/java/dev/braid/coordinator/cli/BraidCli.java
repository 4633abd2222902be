package dev.braid.coordinator.cli;

import dev.braid.config.SettingsException;
import dev.braid.model.ModelException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ServiceLoader;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Braid's command line: {@code braid <command> [options]}. Commands of other modules (the
 * benchmarks) join through {@link CliExtension} when they are on the classpath, so a serving
 * deployment carries none of their dependencies.
 *
 * <p>Exit codes: 0 success, 1 a failure while running, 2 bad usage or bad input (a model, a
 * setting, a flag); the message names what was wrong, without a stack trace unless
 * {@code BRAID_DEBUG=1}.
 */
@Command(
    name = "braid",
    mixinStandardHelpOptions = true,
    versionProvider = BraidCli.Version.class,
    description = "Braid: space-time scheduling of DNN inference across a cluster of GPUs.",
    subcommands = {ModelsCommand.class, RunCommand.class, ServeCommand.class, InferCommand.class,
        StatusCommand.class, DrainCommand.class, ConformanceCommand.class, CommandLine.HelpCommand.class,
        CertsCommand.class, TokensCommand.class})
public final class BraidCli {
  /** Exit code for bad usage or bad input. */
  public static final int EXIT_USAGE = 2;

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI with the given streams and returns its exit code (for tests). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    return cli.execute(args);
  }

  /** The command tree, extensions included. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new BraidCli());
    for (CliExtension ext : ServiceLoader.load(CliExtension.class)) {
      cli.addSubcommand(ext.command());
    }
    cli.setExecutionExceptionHandler(BraidCli::handleFailure);
    return cli;
  }

  private static int handleFailure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    boolean debug = "1".equals(System.getenv("BRAID_DEBUG"));
    if (e instanceof ModelException || e instanceof SettingsException || e instanceof IllegalArgumentException) {
      err.println("braid " + cmd.getCommandName() + ": error: " + e.getMessage());
      if (debug) {
        e.printStackTrace(err);
      }
      return EXIT_USAGE;
    }
    if (e instanceof IOException || e instanceof UncheckedIOException) {
      // A file the command could not read or write (an --out on a read-only or missing path).
      err.println("braid " + cmd.getCommandName() + ": failed: " + ioMessage(e));
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    }
    err.println("braid " + cmd.getCommandName() + ": failed: " + e);
    if (debug) {
      e.printStackTrace(err);
    } else {
      err.println("(set BRAID_DEBUG=1 for the stack trace)");
    }
    return 1;
  }

  /** What went wrong with which file, in words: no exception class names. */
  static String ioMessage(Exception e) {
    String context = e instanceof UncheckedIOException && e.getMessage() != null
        && !(e.getCause() != null && e.getMessage().equals(e.getCause().toString())) ? e.getMessage() + ": " : "";
    Throwable io = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
    if (io instanceof FileSystemException f) {
      String why = f.getReason() != null ? f.getReason()
          : f instanceof NoSuchFileException ? "no such file or directory"
          : f instanceof AccessDeniedException ? "permission denied"
          : f instanceof FileAlreadyExistsException ? "already exists"
          : f.getClass().getSimpleName();
      return context + f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": " + why;
    }
    return context + (io.getMessage() != null ? io.getMessage() : io.getClass().getSimpleName());
  }

  /** Braid's version from the jar's manifest, or "dev" when run from classes. */
  static String version() {
    String v = BraidCli.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** The version from the jar's manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"braid " + version()};
    }
  }
}
