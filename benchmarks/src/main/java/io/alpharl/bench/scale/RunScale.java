package io.alpharl.bench.scale;

import io.alpharl.bench.scale.gen.DriftSettings;
import io.alpharl.bench.scale.model.ModelSpec;
import io.alpharl.bench.scale.model.Presets;
import io.alpharl.bench.scale.model.ShapesFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench/run-scale}: the scale benchmark's command line. Parses and checks the options into
 * a {@link ScaleConfig}, runs {@link ScaleBench}, prints the table and writes the JSON.
 * Exit codes: 0 measured, 2 bad options, 3 a service failed (the report says which; the JSON is
 * written all the same).
 */
@Command(name = "run-scale", mixinStandardHelpOptions = true,
    description = "Generate a synthetic RL run of a model's real shapes, stream it through agent, processor and extrapolator "
        + "(separate JVMs from alpharl.jar) on an embedded broker, and measure each against a plain baseline in the same run.")
public final class RunScale implements Callable<Integer> {
  private enum Preset {
    TINY, QWEN_05B, CUSTOM;

    static Preset parse(String s) {
      return switch (s) {
        case "tiny" -> TINY;
        case "qwen-0.5b" -> QWEN_05B;
        case "custom" -> CUSTOM;
        default -> throw new IllegalArgumentException("--preset must be tiny, qwen-0.5b or custom, got '" + s + "'");
      };
    }
  }

  @Spec
  CommandSpec spec;

  @Option(names = "--preset", required = true, description = "tiny, qwen-0.5b or custom (with --shapes).")
  String preset;

  @Option(names = "--shapes", description = "For --preset custom: one tensor a line, 'name dtype d0 d1 ...'.")
  Path shapes;

  @Option(names = "--steps", defaultValue = "10", description = "Checkpoints after the base; also max_steps. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(names = "--json", description = "Write the figures, per-step arrays and parameters here.")
  Path json;

  @Option(names = "--work", description = "Working folder (empty, new, or a previous run's). Default: a temporary folder, "
      + "removed after a successful run.")
  Path work;

  @Option(names = "--keep-work", description = "Keep the working folder after a successful run.")
  boolean keepWork;

  @Option(names = "--jar", description = "The alpharl jar. Default: cli/target/alpharl.jar under the repository.")
  Path jar;

  @Option(names = "--xmx-broker", defaultValue = "1g", description = "Default: ${DEFAULT-VALUE}.")
  String xmxBroker;

  @Option(names = "--xmx-processor", defaultValue = "2g", description = "Default: ${DEFAULT-VALUE}.")
  String xmxProcessor;

  @Option(names = "--xmx-extrapolator", defaultValue = "2g", description = "Default: ${DEFAULT-VALUE}.")
  String xmxExtrapolator;

  @Option(names = "--xmx-agent", defaultValue = "1g", description = "Default: ${DEFAULT-VALUE} (the requirement for a 0.5B model).")
  String xmxAgent;

  @Option(names = "--learning-rate", description = "Adam-like step size per element; sets the share of unchanged bf16 values. Default: 1e-6.")
  Double learningRate;

  @Option(names = "--gradient-noise", description = "Per-element gradient noise against the drift's leading component (1): the larger, the"
      + " longer ΔW looks like pure noise, where the processor's exact factor solve costs most. Default: 15.")
  Double gradientNoise;

  @Option(names = "--seed", description = "Seed of the synthetic run.")
  Long seed;

  @Option(names = "--predict-at", defaultValue = "0.4", description = "The extrapolator's --predict-at. Default: ${DEFAULT-VALUE}.")
  double predictAt;

  @Option(names = "--save-total-limit", defaultValue = "2",
      description = "Checkpoints kept besides the base, as the Trainer's save_total_limit; 0 keeps all. Default: ${DEFAULT-VALUE}.")
  int saveTotalLimit;

  @Option(names = "--step-timeout", defaultValue = "PT10M", description = "Longest a step may take to reach alpharl.fits (ISO-8601). Default: ${DEFAULT-VALUE}.")
  Duration stepTimeout;

  @Option(names = "--factors", defaultValue = "" + io.alpharl.processor.rank1.FactorSettings.DEFAULT_RANK,
      description = "The processor's --factors: singular triplets per module and step (1: the paper's rank 1). Default: ${DEFAULT-VALUE}.")
  int factors;

  @Option(names = "--stream-threads", defaultValue = "1",
      description = "The processor's --stream-threads: modules solved at once. Default: ${DEFAULT-VALUE}.")
  int streamThreads;

  @Option(names = "--rank1-threads", defaultValue = "0",
      description = "The processor's --rank1-threads: threads sharing one module's sweeps (0: one per core). Default: ${DEFAULT-VALUE}.")
  int rank1Threads;

  @Option(names = "--partitions", defaultValue = "" + io.alpharl.bench.scale.service.BrokerProcess.DEFAULT_PARTITIONS,
      description = "Partitions of every AlphaRL topic (alpharl broker's --partitions): what the processor's stream threads share."
          + " Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--solver-tolerance", defaultValue = "" + io.alpharl.processor.rank1.Rank1Settings.DEFAULT_RELATIVE_RESIDUAL,
      description = "The processor's --solver-tolerance: relative residual at which its factor solver stops. Default: ${DEFAULT-VALUE}.")
  double solverTolerance;

  @Option(names = "--sweep-precision", defaultValue = "DOUBLE",
      description = "The processor's --sweep-precision: DOUBLE or FLOAT (about twice as fast a pass; needs --solver-tolerance 1e-4 or"
          + " more). Default: ${DEFAULT-VALUE}.")
  io.alpharl.processor.rank1.kernel.SweepPrecision sweepPrecision;

  @Option(names = "--kill-processor-after", defaultValue = "0",
      description = "After this step's fit, kill the processor with SIGKILL, start it again and time its restore from the log "
          + "(0: never). Default: ${DEFAULT-VALUE}.")
  int killProcessorAfter;

  @Option(names = "--kill-agent-after", defaultValue = "0",
      description = "After this step's fit, kill the agent with SIGKILL, start it again and time its rebuild of the running sum from the"
          + " log (0: never). Default: ${DEFAULT-VALUE}.")
  int killAgentAfter;

  @Option(names = "--snapshot-every", defaultValue = "" + io.alpharl.processor.snapshot.SnapshotSettings.DEFAULT_EVERY_STEPS,
      description = "The processor's --snapshot-every: steps of a tensor between copies of its ΔW, which bound a restore (0: none)."
          + " Default: ${DEFAULT-VALUE}.")
  int snapshotEvery;

  @Option(names = "--keyframe-every", defaultValue = "32",
      description = "The agent's --keyframe-every: steps of a tensor between keyframes, which bound the model write's read of the log (0: none)."
          + " Default: ${DEFAULT-VALUE}, the agent's.")
  int keyframeEvery;

  @Option(names = "--generate-only", description = "Only write the checkpoints and report their size and unchanged share.")
  boolean generateOnly;

  @Option(names = "--print-shapes", description = "Print the preset's shapes in the --shapes layout and exit.")
  boolean printShapes;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  public static CommandLine commandLine() {
    return new CommandLine(new RunScale()).setCaseInsensitiveEnumValuesAllowed(true); // as the alpharl command: float or FLOAT
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    ScaleConfig config;
    try {
      config = toConfig();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("run-scale: " + e.getMessage());
      return 2;
    }
    if (printShapes) {
      out.print(ShapesFile.format(config.model()));
      out.flush();
      return 0;
    }
    ScaleReport report = new ScaleBench(config).run();
    out.print(report.table());
    out.flush();
    if (json != null) {
      report.writeJson(json);
      out.println("figures written to " + json.toAbsolutePath());
      out.flush();
    }
    return report.failure() == null ? 0 : 3;
  }

  private ScaleConfig toConfig() throws IOException {
    ModelSpec model = switch (Preset.parse(preset)) {
      case TINY -> Presets.tiny();
      case QWEN_05B -> Presets.qwen05b();
      case CUSTOM -> {
        if (shapes == null) {
          throw new IllegalArgumentException("--preset custom needs --shapes FILE");
        }
        if (!Files.isRegularFile(shapes)) {
          throw new IllegalArgumentException("--shapes " + shapes + " is not a file");
        }
        yield ShapesFile.read(shapes);
      }
    };
    DriftSettings drift = DriftSettings.defaults();
    if (learningRate != null) {
      drift = drift.withLearningRate(learningRate);
    }
    if (seed != null) {
      drift = drift.withSeed(seed);
    }
    if (gradientNoise != null) {
      if (!(gradientNoise >= 0)) {
        throw new IllegalArgumentException("--gradient-noise must be >= 0, got " + gradientNoise);
      }
      drift = drift.withNoise(gradientNoise);
    }
    Path jarPath = jar != null ? jar : Path.of(System.getProperty("alpharl.home", "."), "cli", "target", "alpharl.jar");
    if (!printShapes && !generateOnly && !Files.isRegularFile(jarPath)) {
      throw new IllegalArgumentException("the alpharl jar is not at " + jarPath.toAbsolutePath()
          + "; build it with 'mvn -q -B -pl cli -am package -DskipTests' or pass --jar");
    }
    Path workDir = work != null ? work
        : Path.of(System.getProperty("java.io.tmpdir"), "alpharl-run-scale-" + java.util.UUID.randomUUID().toString().substring(0, 8));
    return new ScaleConfig(preset, model, steps, drift, workDir, keepWork, jarPath,
        new Heaps(xmxBroker, xmxProcessor, xmxExtrapolator, xmxAgent), predictAt, saveTotalLimit, stepTimeout, generateOnly, factors,
        streamThreads, rank1Threads, partitions, solverTolerance, sweepPrecision, killProcessorAfter, killAgentAfter, snapshotEvery, keyframeEvery);
  }
}
