package dev.braid.bench;

import dev.braid.bench.faults.FaultsCommand;
import dev.braid.bench.frontdoor.FrontDoorBenchCommand;
import dev.braid.bench.gpucheck.GpuCheckCommand;
import dev.braid.bench.load.LoadCommand;
import dev.braid.bench.policies.FusionPlacementCommand;
import dev.braid.bench.policies.PoliciesCommand;
import dev.braid.bench.sched.SchedulerBenchCommand;
import dev.braid.bench.table1.Table1Command;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code braid bench ...}: Braid's benchmarks. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks, each comparing side by side in one run.",
    subcommands = {CpuBenchCommand.class, Table1Command.class, PoliciesCommand.class, GpuCheckCommand.class,
        FrontDoorBenchCommand.class, SchedulerBenchCommand.class,
        FusionPlacementCommand.class, LoadCommand.class,
        FaultsCommand.class})
final class BenchCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
