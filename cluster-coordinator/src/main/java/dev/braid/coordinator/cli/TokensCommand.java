package dev.braid.coordinator.cli;

import dev.braid.coordinator.security.BearerTokens;
import dev.braid.coordinator.security.Role;
import dev.braid.coordinator.security.TokenFile;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code braid tokens new}: a fresh bearer token and its line for a tokens file. */
@Command(
    name = "tokens",
    mixinStandardHelpOptions = true,
    description = "Bearer tokens for Braid's front door.",
    subcommands = TokensCommand.New.class)
final class TokensCommand {
  /** Prints a new token once, and the hashed line that grants it (appended to --append FILE). */
  @Command(
      name = "new",
      mixinStandardHelpOptions = true,
      description = "Make a new token for TENANT with ROLES; print it (once) and its tokens-file line.")
  static final class New implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--tenant", required = true, description = "Tenant the token's requests are accounted to.")
    String tenant;

    @Option(names = "--role", required = true, split = ",", description = "infer, repository, admin or metrics; "
        + "repeatable "
        + "or comma-separated (admin never with infer).")
    List<String> roles;

    @Option(names = "--append", description = "Append the line to this tokens file (created if missing).")
    Path append;

    @Override
    public Integer call() throws Exception {
      Set<Role> parsed = EnumSet.noneOf(Role.class);
      for (String r : roles) {
        parsed.add(Role.parse("--role", r));
      }
      String token = BearerTokens.newToken();
      String line = TokenFile.line(token, tenant, parsed);
      TokenFile.parse("--tenant/--role", line); // the same checks a server makes
      PrintWriter out = spec.commandLine().getOut();
      out.println("token (give it to the client; it is not stored anywhere): " + token);
      out.println("tokens-file line: " + line);
      if (append != null) {
        boolean fresh = !Files.exists(append);
        Files.writeString(append, (fresh ? TokenFile.HEADER : "") + line + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        out.println("appended to " + append);
      }
      out.flush();
      return 0;
    }
  }
}
