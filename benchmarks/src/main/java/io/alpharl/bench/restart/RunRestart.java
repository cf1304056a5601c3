package io.alpharl.bench.restart;

import io.alpharl.bench.Folders;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench/run-restart}: for each count of runs in flight, kills the processor, the
 * extrapolator and one agent with SIGKILL mid-run (one case each, on a broker of its own), starts
 * it again and measures the seconds to its first new committed output. Prints a table and writes
 * the JSON. Exit codes: 0 every figure measured, 2 bad options, 3 a figure is missing (the report
 * says why; the JSON is written all the same). It asserts no time: a slow restart is a figure.
 */
@Command(name = "run-restart", mixinStandardHelpOptions = true,
    description = "Kill -9 each service mid-run while N runs of the bundled recording stream, start it again, and measure the seconds "
        + "to its first new output.")
public final class RunRestart implements Callable<Integer> {
  static final double TARGET_SECONDS = 10;

  @Spec
  CommandSpec spec;

  @Option(names = "--runs", defaultValue = "1,6", description = "Counts of concurrent runs, one pass per count. Default: ${DEFAULT-VALUE}.")
  String runs;

  @Option(names = "--json", description = "Write the figures here.")
  Path json;

  @Option(names = "--work", description = "Working folder (new or empty). Default: a temporary folder, removed after a complete run.")
  Path work;

  @Option(names = "--keep-work", description = "Keep the working folder (logs, broker data) after a complete run.")
  boolean keepWork;

  @Option(names = "--jar", description = "The alpharl jar. Default: cli/target/alpharl.jar under the repository.")
  Path jar;

  @Option(names = "--recording", description = "The recorded run each agent replays. Default: examples/runs/add2-grpo-seed1.arrow.")
  Path recording;

  @Option(names = "--step-interval", defaultValue = "PT4S",
      description = "The agents' pace, one step per interval (ISO-8601); slow enough that the services keep up with 6 runs before the kill, "
          + "so that a restart is not timed with a backlog it had anyway. Default: ${DEFAULT-VALUE}.")
  Duration stepInterval;

  @Option(names = "--kill-at-step", defaultValue = "50",
      description = "The processor and an agent are killed once every run is past this step. Default: ${DEFAULT-VALUE}.")
  long killAtStep;

  @Option(names = "--extrapolator-kill-at-step", defaultValue = "110",
      description = "The extrapolator is killed once it has scored every run's prediction (made at 40 %%) at this step. Default: ${DEFAULT-VALUE}.")
  long extrapolatorKillAtStep;

  @Option(names = "--timeout", defaultValue = "PT3M", description = "Longest wait for a kill point or a first new output. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  public static void main(String[] args) {
    System.exit(new CommandLine(new RunRestart()).execute(args));
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    RestartConfig config;
    try {
      config = toConfig();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("run-restart: " + e.getMessage());
      return 2;
    }
    List<Measurement> cases = new ArrayList<>();
    for (int n : config.runCounts()) {
      for (Victim v : Victim.values()) {
        try (RestartCase c = new RestartCase(config, v, n)) {
          cases.add(c.measure());
        }
      }
    }
    RestartReport report = new RestartReport(cases, config.stepInterval().toString(), TARGET_SECONDS, Runtime.getRuntime().availableProcessors());
    out.print(report.table());
    out.flush();
    if (json != null) {
      report.writeJson(json);
      out.println("figures written to " + json.toAbsolutePath());
    }
    boolean complete = cases.stream().allMatch(c -> c.missing() == null);
    if (complete && !keepWork && work == null) {
      Folders.deleteTree(config.work()); // its own temporary folder, never a --work folder of the user's
    } else {
      out.println("logs and data in " + config.work());
    }
    out.flush();
    return complete ? 0 : 3;
  }

  private RestartConfig toConfig() throws IOException {
    List<Integer> counts = RestartConfig.parseRunCounts(runs); // before any folder is made for a run that will not start
    Path home = Path.of(System.getProperty("alpharl.home", "."));
    Path jarPath = jar != null ? jar : home.resolve("cli/target/alpharl.jar");
    if (!Files.isRegularFile(jarPath)) {
      throw new IllegalArgumentException("the alpharl jar is not at " + jarPath.toAbsolutePath() + "; build it or pass --jar");
    }
    Path rec = recording != null ? recording : home.resolve("examples/runs/add2-grpo-seed1.arrow");
    if (!Files.isRegularFile(rec)) {
      throw new IllegalArgumentException("no recording at " + rec.toAbsolutePath() + "; pass --recording");
    }
    Path dir = work != null ? work : Files.createTempDirectory("alpharl-run-restart-");
    if (work != null && Files.isDirectory(work)) {
      try (Stream<Path> s = Files.list(work)) {
        if (s.findAny().isPresent()) {
          throw new IllegalArgumentException("--work " + work + " is not empty; give a new or empty folder");
        }
      }
    }
    Files.createDirectories(dir);
    return new RestartConfig(counts, jarPath.toAbsolutePath(), rec.toAbsolutePath(), stepInterval, killAtStep,
        extrapolatorKillAtStep, timeout, dir);
  }

}
