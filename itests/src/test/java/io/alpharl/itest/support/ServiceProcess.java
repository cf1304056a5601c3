package io.alpharl.itest.support;

import io.alpharl.processor.rank1.kernel.SweepKernels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code alpharl} command in a JVM of its own, so that a test can kill it with SIGKILL (as
 * {@code kill -9} does) and start it again. Runs with this test's class path; its output goes to a
 * log file. Owns the process: {@link #close} stops it if it still runs.
 */
public final class ServiceProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ServiceProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code alpharl ARGS...} with at most {@code heapMb} of heap. */
  public static ServiceProcess start(String name, Path logDir, int heapMb, List<String> args) {
    try {
      Files.createDirectories(logDir);
      Path log = logDir.resolve(name + "-" + System.nanoTime() + ".log");
      List<String> command = new ArrayList<>();
      command.add(ProcessHandle.current().info().command().orElse("java"));
      command.add("-Xmx" + heapMb + "m");
      command.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
      command.addAll(SweepKernels.childJvmOptions()); // as the alpharl launcher starts it
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add("io.alpharl.cli.AlphaRl");
      command.addAll(args);
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return new ServiceProcess(name, p, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** SIGKILL, as {@code kill -9}: no shutdown hook, no clean close, nothing flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits for the process to end by itself; returns its exit code. */
  public int await(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError(name + " still runs after " + seconds + " s; its log: " + log);
    }
    return process.exitValue();
  }

  public boolean alive() {
    return process.isAlive();
  }

  public Path log() {
    return log;
  }

  public String logText() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** SIGTERM (a clean stop, shutdown hooks run), then SIGKILL if it does not end. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        kill();
      }
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ", log " + log + ")";
  }
}
