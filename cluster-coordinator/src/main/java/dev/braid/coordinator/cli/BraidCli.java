package dev.braid.coordinator.cli;

import dev.braid.config.SettingsException;
import dev.braid.model.ModelException;
import java.io.PrintWriter;
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
    err.println("braid " + cmd.getCommandName() + ": failed: " + e);
    if (debug) {
      e.printStackTrace(err);
    } else {
      err.println("(set BRAID_DEBUG=1 for the stack trace)");
    }
    return 1;
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
