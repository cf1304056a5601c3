package io.alpharl.cli.agent;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code alpharl agent}: the trainer-side sidecar. */
@Command(name = "agent", mixinStandardHelpOptions = true,
    description = "Trainer-side sidecar: stream a run's checkpoints, record them to a file, replay a recording, end a run its agent will not.",
    subcommands = {WatchCommand.class, RecordCommand.class, ReplayCommand.class, EndCommand.class,
        CommandLine.HelpCommand.class}) // 'alpharl agent help watch'
public final class AgentCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
