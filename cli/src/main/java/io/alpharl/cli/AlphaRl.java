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
    // Published texts (a gate's reason, a decision's) and store keys format numbers; a German or
    // Persian default locale would write them otherwise, and instances would publish other bytes.
    java.util.Locale.setDefault(java.util.Locale.ROOT);
    System.exit(commandLine().execute(args));
  }

  /** Exit code of a user error: a bad option, a missing file, an input that does not fit. */
  public static final int USER_ERROR = 2;
  /** Exit code of a command that failed for its machine (a full disk, a file it may not write), said in one line. */
  public static final int FAILED = 1;

  /**
   * The configured command line, shared by {@link #main} and the tests. User errors (bad options
   * and values, {@link UserError}, Kafka settings the cluster refuses: {@link KafkaSetupErrors})
   * print one line and exit with {@link #USER_ERROR}; anything else is a bug or an outage and keeps
   * its stack trace.
   */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new AlphaRl());
    // Every subcommand's help lists -V, --version (the standard help options): without the provider it printed nothing.
    withVersion(cli);
    // Users type dtypes and backends as the README and their trainers write them (bf16, cuda).
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage() + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
      return USER_ERROR;
    });
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof UserError) {
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        return USER_ERROR;
      }
      // W_0 that no run starts from, met mid-step (record or watch): the user's to mend, in one line.
      java.util.Optional<io.alpharl.agent.BaseModelException> base = io.alpharl.proto.error.Causes.find(e, io.alpharl.agent.BaseModelException.class);
      if (base.isPresent()) {
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + base.get().getMessage());
        return USER_ERROR;
      }
      // The run's log refuses what the command would send (another run's steps under its id, another agent now sending it, the
      // topic deleted under it): the user's to decide, said in one line, as `agent watch` says it.
      for (Class<? extends Throwable> refusal : java.util.List.of(io.alpharl.agent.resume.ResumeRefusedException.class,
          io.alpharl.agent.publish.AgentFencedException.class, io.alpharl.proto.topic.TopicGoneException.class)) {
        java.util.Optional<? extends Throwable> r = io.alpharl.proto.error.Causes.find(e, refusal);
        if (r.isPresent()) {
          cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + r.get().getMessage());
          return USER_ERROR;
        }
      }
      java.util.Optional<String> kafka = KafkaSetupErrors.describe(e);
      if (kafka.isPresent()) {
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + kafka.get());
        return USER_ERROR;
      }
      java.util.Optional<String> disk = LocalFileErrors.describe(e);
      if (disk.isPresent()) {
        cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + disk.get());
        return FAILED;
      }
      throw e;
    });
    return cli;
  }

  private static void withVersion(CommandLine cmd) {
    cmd.getCommandSpec().versionProvider(new Version());
    cmd.getSubcommands().values().forEach(AlphaRl::withVersion);
  }
}
