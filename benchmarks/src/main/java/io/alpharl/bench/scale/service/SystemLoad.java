package io.alpharl.bench.scale.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's 1-minute load average ({@code /proc/loadavg}). Recorded with every run: on a
 * shared machine the timings mean little without it.
 */
public final class SystemLoad {
  private SystemLoad() {}

  /** The 1-minute load average, or null where {@code /proc/loadavg} is missing. */
  public static Double oneMinute() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
