package io.alpharl.bench.scale.service;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Follows a log file another process appends to: {@link #newLines} returns the complete lines
 * added since the previous call (a line still being written waits for its newline). Not thread-safe.
 */
public final class LogFile {
  private final Path file;
  private long offset;
  private final StringBuilder partial = new StringBuilder();

  public LogFile(Path file) {
    this.file = file;
  }

  public Path path() {
    return file;
  }

  public List<String> newLines() throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.exists(file)) {
      return lines;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      if (length <= offset) {
        return lines;
      }
      byte[] bytes = new byte[(int) Math.min(length - offset, 64L << 20)];
      in.seek(offset);
      in.readFully(bytes);
      offset += bytes.length;
      partial.append(new String(bytes, StandardCharsets.UTF_8));
    }
    int start = 0;
    for (int nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n", start)) {
      lines.add(partial.substring(start, nl));
      start = nl + 1;
    }
    partial.delete(0, start);
    return lines;
  }

  /** The last {@code n} lines of the whole file, for error reports. */
  public String tail(int n) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }
}
