package io.alpharl.itest.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The real GRPO run bundled in {@code examples/runs}, made by {@code examples/trainer}. */
public final class BundledRun {
  public static final String NAME = "add2-grpo-seed1";
  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");

  private BundledRun() {}

  public static Path dir() {
    Path p = Path.of("..", "examples", "runs", NAME).toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("checkpoint-0"))) {
      throw new IllegalStateException("bundled run not found at " + p + "; run the tests from the repository (mvn verify)");
    }
    return p;
  }

  /** The recording of the bundled run ({@code alpharl agent record}). */
  public static Path recording() {
    return dir().resolveSibling(NAME + ".arrow");
  }

  /** Steps of the bundled checkpoints, ascending, 0 (the base) first. */
  public static List<Long> steps() {
    try (Stream<Path> s = Files.list(dir())) {
      return s.map(p -> CHECKPOINT.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .map(m -> Long.parseLong(m.group(1)))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies one checkpoint directory into {@code runDir}, as a trainer would write it (staged, then renamed). */
  public static void copyCheckpoint(long step, Path runDir) throws IOException {
    Path src = dir().resolve("checkpoint-" + step);
    Path tmp = runDir.resolve("tmp-checkpoint-" + step);
    Files.createDirectories(tmp);
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, tmp.resolve(f.getFileName()));
      }
    }
    Files.move(tmp, runDir.resolve("checkpoint-" + step));
  }
}
