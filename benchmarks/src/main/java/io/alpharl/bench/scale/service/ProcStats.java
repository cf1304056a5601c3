package io.alpharl.bench.scale.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Reads a process's memory and I/O counters from Linux's {@code /proc}. Every read is optional:
 * empty when the process is gone or the system has no such file (not Linux), never a guess.
 */
public final class ProcStats {
  private final Path proc;

  public ProcStats(long pid) {
    this(Path.of("/proc", Long.toString(pid)));
  }

  /** For tests: a directory laid out like {@code /proc/PID}. */
  ProcStats(Path procDir) {
    this.proc = procDir;
  }

  /** Peak resident set size ({@code VmHWM}), in bytes. Counts file pages mapped by the process, page cache included. */
  public OptionalLong peakRssBytes() {
    return statusKiB("VmHWM:");
  }

  /** Resident anonymous memory ({@code RssAnon}) now, in bytes: heap, off-heap buffers, stacks, without mapped files. */
  public OptionalLong rssAnonBytes() {
    return statusKiB("RssAnon:");
  }

  /** Bytes this process caused to be written to storage ({@code write_bytes} of {@code /proc/PID/io}). */
  public OptionalLong writeBytes() {
    try {
      for (String line : Files.readAllLines(proc.resolve("io"))) {
        if (line.startsWith("write_bytes:")) {
          return OptionalLong.of(Long.parseLong(line.substring("write_bytes:".length()).strip()));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // absent or unreadable: the caller reports the figure as missing
    }
    return OptionalLong.empty();
  }

  private OptionalLong statusKiB(String field) {
    try {
      for (String line : Files.readAllLines(proc.resolve("status"))) {
        if (line.startsWith(field)) {
          String[] parts = line.substring(field.length()).strip().split("\\s+");
          return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // absent or unreadable: the caller reports the figure as missing
    }
    return OptionalLong.empty();
  }
}
