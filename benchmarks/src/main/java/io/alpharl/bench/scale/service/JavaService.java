package io.alpharl.bench.scale.service;

import io.alpharl.processor.rank1.kernel.SweepKernels;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One service of the pipeline as its own JVM, started from the {@code alpharl} jar the way a user
 * starts it ({@code java -Xmx.. -jar alpharl.jar CMD ...}), with stdout and stderr in a log file.
 * The JVM is the direct child, so its pid is the one {@code /proc} is read for. {@link #close}
 * stops it (SIGTERM, then SIGKILL after a grace period), reading its peak RSS just before.
 */
public final class JavaService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JavaService.class);
  private static final Duration GRACE = Duration.ofSeconds(20);

  private final String name;
  private final Process process;
  private final LogFile log;
  private final ProcStats stats;
  private OptionalLong peakRssAtEnd = OptionalLong.empty();

  private JavaService(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.log = new LogFile(logFile);
    this.stats = new ProcStats(process.pid());
  }

  /**
   * @param xmx       the JVM's heap limit, as {@code -Xmx} takes it ({@code 1g}); stated in every report
   * @param arguments the {@code alpharl} command and its options
   */
  public static JavaService start(String name, Path jar, String xmx, List<String> arguments, Path logFile) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx" + xmx);
    cmd.addAll(SweepKernels.childJvmOptions()); // as the alpharl launcher starts it
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(arguments);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
    LOG.info("{} started (pid {}, -Xmx{}): {}", name, p.pid(), xmx, String.join(" ", arguments));
    return new JavaService(name, p, logFile);
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public ProcStats stats() {
    return stats;
  }

  public LogFile log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code, once the process has ended. */
  public OptionalLong exitCode() {
    return process.isAlive() ? OptionalLong.empty() : OptionalLong.of(process.exitValue());
  }

  /**
   * Reads new log lines until {@code match} finds something, the process ends or the timeout passes.
   *
   * @return what {@code match} found; empty on an ended process or timeout
   */
  public <T> Optional<T> awaitLine(Function<String, Optional<T>> match, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (String line : log.newLines()) {
        Optional<T> found = match.apply(line);
        if (found.isPresent()) {
          return found;
        }
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        for (String line : log.newLines()) { // what it wrote before it ended
          Optional<T> found = match.apply(line);
          if (found.isPresent()) {
            return found;
          }
        }
        return Optional.empty();
      }
      Thread.sleep(50);
    }
  }

  /** VmHWM read just before the service was stopped; empty while it runs, or when it had ended on its own. */
  public OptionalLong peakRssAtEnd() {
    return peakRssAtEnd;
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    peakRssAtEnd = stats.peakRssBytes();
    process.destroy();
    try {
      if (!process.waitFor(GRACE.toSeconds(), TimeUnit.SECONDS)) {
        LOG.warn("{} (pid {}) did not stop within {} s of SIGTERM; killing it", name, process.pid(), GRACE.toSeconds());
        process.destroyForcibly();
        process.waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the process at once (the harness itself is being stopped). */
  public void kill() {
    process.destroyForcibly();
  }

  /** SIGKILL, as {@code kill -9} (no shutdown hook runs, nothing is closed), and waits until the process is gone. */
  public void killAndWait() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }
}
