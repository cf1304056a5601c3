package io.alpharl.bench.scale.service;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The log lines of the services this benchmark reads, parsed. They are the services' own words,
 * not an API: when a line changes, the figure it feeds becomes null with a reason rather than wrong.
 */
public final class ServiceLines {
  /** {@code run R step N: F frames, K KiB in T ms ...} (the agent, after each committed step). */
  private static final Pattern AGENT_STEP = Pattern.compile("run (\\S+) step (\\d+): (\\d+) frames, (\\d+) KiB in (\\d+) ms");
  /** {@code run R: predicted model from step N (...) written to DIR: ... M MB in T ms} (the extrapolator; M in its locale). */
  private static final Pattern MODEL_WRITE = Pattern.compile("run (\\S+): predicted model from step (\\d+) \\(.*\\) written to (\\S+): .* ([0-9][0-9.,]*) MB in (\\d+) ms(?: \\((\\d+) ms of them reading)?");
  /** {@code Kafka broker (KRaft) ready at HOST:PORT in N ms} (alpharl broker). */
  private static final Pattern BROKER_READY = Pattern.compile("Kafka broker \\(KRaft\\) ready at (\\S+) in \\d+ ms");
  /** {@code run R: watching DIR from step N ...} (the agent, once started). */
  private static final Pattern AGENT_WATCHING = Pattern.compile("run (\\S+): watching ");
  private static final Pattern AGENT_RESUMED =
      Pattern.compile("run (\\S+): resuming after committed step (\\d+) \\((\\d+) frames re-read(, each tensor from its newest keyframe)? in (\\d+) ms\\)");
  /** {@code extrapolation backend: NAME ...}. */
  private static final Pattern BACKEND = Pattern.compile("extrapolation backend: (.*)$");

  /** {@code stream processor APP running (rank-1 backend ...)} (the processor, once its streams are RUNNING: restored and assigned). */
  private static final Pattern PROCESSOR_RUNNING = Pattern.compile("stream processor (\\S+) running");
  /**
   * {@code ... running (rank-1 backend B, top-K factors, solver tolerance T, sweeps in P)}: the settings the processor runs with
   * (processors before the sweep precision existed end after T and sweep in double).
   */
  private static final Pattern PROCESSOR_SETTINGS = Pattern.compile(
      "stream processor \\S+ running \\(rank-1 backend (.*), top-(\\d+) factors, solver tolerance ([^,\\s)]+)(?:, sweeps in (\\w+))?\\)");
  /** {@code restored STORE from TOPIC-PARTITION: R records in T ms} (the processor, per restored store partition). */
  private static final Pattern RESTORED = Pattern.compile("restored (\\S+) from (\\S+): (\\d+) records in (-?\\d+) ms");

  private ServiceLines() {}

  /** What the processor says it runs with: what it measured, whatever the benchmark asked for. */
  public record ProcessorSettings(String backend, int factors, double solverTolerance, String sweepPrecision) {}

  /** One store partition the processor restored from its log at start-up. */
  public record Restored(String store, String partition, long records, long millis) {}

  /** A restarted agent's rebuild of its running sum from the log, as its log line says. */
  public record AgentResumed(String runId, long afterStep, long framesReread, boolean fromKeyframes, long millis) {}

  /** A step the agent committed; {@code millis} is its own timing of reading, diffing, encoding and sending the step. */
  public record AgentStep(String runId, long step, int frames, long kib, long millis) {}

  /**
   * A predicted model the extrapolator wrote.
   *
   * @param logScanMillis of {@code millis}, reading the factors and the delta log; null where the line does not say (older extrapolators)
   */
  public record ModelWrite(String runId, long fromStep, String dir, double megabytes, long millis, Long logScanMillis) {}

  public static Optional<AgentStep> agentStep(String line) {
    Matcher m = AGENT_STEP.matcher(line);
    return m.find()
        ? Optional.of(new AgentStep(m.group(1), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)), Long.parseLong(m.group(4)),
            Long.parseLong(m.group(5))))
        : Optional.empty();
  }

  public static Optional<ModelWrite> modelWrite(String line) {
    Matcher m = MODEL_WRITE.matcher(line);
    return m.find()
        ? Optional.of(new ModelWrite(m.group(1), Long.parseLong(m.group(2)), m.group(3), Double.parseDouble(m.group(4).replace(',', '.')), Long.parseLong(m.group(5)),
            m.group(6) == null ? null : Long.valueOf(m.group(6))))
        : Optional.empty();
  }

  /** The run id when the line says the agent started watching. */
  public static Optional<String> agentWatching(String line) {
    Matcher m = AGENT_WATCHING.matcher(line);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  public static Optional<AgentResumed> agentResumed(String line) {
    Matcher m = AGENT_RESUMED.matcher(line);
    return m.find()
        ? Optional.of(new AgentResumed(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), m.group(4) != null, Long.parseLong(m.group(5))))
        : Optional.empty();
  }

  /** The application id when the line says the processor is running. */
  public static Optional<String> processorRunning(String line) {
    Matcher m = PROCESSOR_RUNNING.matcher(line);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  public static Optional<ProcessorSettings> processorSettings(String line) {
    Matcher m = PROCESSOR_SETTINGS.matcher(line);
    return m.find()
        ? Optional.of(new ProcessorSettings(m.group(1), Integer.parseInt(m.group(2)), Double.parseDouble(m.group(3)),
            m.group(4) == null ? "DOUBLE" : m.group(4)))
        : Optional.empty();
  }

  public static Optional<Restored> restored(String line) {
    Matcher m = RESTORED.matcher(line);
    return m.find() ? Optional.of(new Restored(m.group(1), m.group(2), Long.parseLong(m.group(3)), Long.parseLong(m.group(4)))) : Optional.empty();
  }

  public static Optional<String> brokerBootstrap(String line) {
    Matcher m = BROKER_READY.matcher(line);
    return m.find() ? Optional.of(m.group(1)) : Optional.empty();
  }

  public static Optional<String> extrapolationBackend(String line) {
    Matcher m = BACKEND.matcher(line);
    return m.find() ? Optional.of(m.group(1).strip()) : Optional.empty();
  }
}
