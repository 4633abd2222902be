package dev.braid.coordinator.cli;

import dev.braid.coordinator.security.DevCertificates;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code braid certs dev --out DIR}: throwaway certificates and tokens for trying TLS on one machine. */
@Command(
    name = "certs",
    mixinStandardHelpOptions = true,
    description = "Certificates for Braid's TLS.",
    subcommands = CertsCommand.Dev.class)
final class CertsCommand {
  /** See {@link DevCertificates}. */
  @Command(
      name = "dev",
      mixinStandardHelpOptions = true,
      description = "Write a throwaway CA, server, client and node certificates and dev tokens to DIR, for trying TLS "
          + "and tokens on one machine. NOT FOR PRODUCTION.")
  static final class Dev implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Directory to write (created if missing).")
    Path out;

    @Option(names = "--host", description = "Another name or address the server and node certificates are valid "
        + "for (besides localhost, 127.0.0.1 and ::1); repeatable.")
    List<String> hosts = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
      PrintWriter pw = spec.commandLine().getOut();
      DevCertificates.Written w = DevCertificates.write(out, hosts);
      pw.println("NOT FOR PRODUCTION: throwaway certificates and tokens (the CA's key is discarded; keys unencrypted; "
          + "valid " + DevCertificates.VALIDITY.toDays() + " days)");
      for (Path f : w.files()) {
        pw.println("  wrote " + f);
      }
      Path d = out.toAbsolutePath();
      pw.println("serve:  ./braid serve --tls-cert " + d.resolve("server.pem") + " --tls-key " + d.resolve("server.key")
          + " --tokens-file " + d.resolve("tokens"));
      pw.println("infer:  ./braid infer --model MODEL --ca " + d.resolve("ca.pem") + " --token-file "
          + d.resolve("infer.token"));
      pw.println("mTLS:   add --tls-client-ca " + d.resolve("ca.pem") + " to serve, --cert " + d.resolve("client.pem")
          + " --key " + d.resolve("client.key") + " to infer");
      pw.println("nodes:  BRAID_JAVA_OPTS=\"-Dconfig.file=" + d.resolve("cluster-tls.conf") + "\" for Artery over TLS");
      pw.flush();
      return 0;
    }
  }
}
