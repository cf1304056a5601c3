package io.alpharl.cli;

import io.alpharl.cli.agent.AgentCommand;
import io.alpharl.cli.broker.BrokerCommand;
import io.alpharl.cli.demo.DemoCommand;
import io.alpharl.cli.extrapolator.ExtrapolatorCommand;
import io.alpharl.cli.predict.PredictCommand;
import io.alpharl.cli.processor.ProcessorCommand;
import io.alpharl.cli.status.StatusCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code alpharl} command: parses the command line and hands over to a subcommand. */
@Command(
    name = "alpharl",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "AlphaRL Stream watches an RL fine-tuning run of an LLM while it trains and predicts its final weights early.",
      ""
    },
    subcommands = {DemoCommand.class, BrokerCommand.class, AgentCommand.class, ProcessorCommand.class, ExtrapolatorCommand.class, PredictCommand.class, StatusCommand.class, CommandLine.HelpCommand.class})
public final class AlphaRl implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and the tests. */
  public static CommandLine commandLine() {
    return new CommandLine(new AlphaRl());
  }
}
