package io.alpharl.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removing the folders a benchmark made for itself. Stateless. */
public final class Folders {
  private Folders() {}

  /** Deletes everything below {@code dir}, deepest first, and keeps {@code dir} itself. */
  public static void deleteContents(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        if (!p.equals(dir)) {
          Files.delete(p);
        }
      }
    }
  }

  /** Deletes {@code dir} and everything below it. */
  public static void deleteTree(Path dir) throws IOException {
    deleteContents(dir);
    Files.delete(dir);
  }
}
