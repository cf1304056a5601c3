package io.alpharl.agent.checkpoint;

import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the complete {@code checkpoint-<step>} directories of a Hugging Face Trainer output
 * directory. A checkpoint counts as complete when its weights and {@code trainer_state.json}
 * (which the Trainer writes last) are present and no file in it changed size since the previous
 * scan; {@code tmp-checkpoint-*} directories, where newer Trainers stage a save, are ignored.
 * Keeps the sizes seen by the previous scan; not thread-safe.
 */
public final class CheckpointScanner {
  public static final String TRAINER_STATE = "trainer_state.json";
  private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");

  private final Path root;
  private final Map<Path, Long> lastSizes = new HashMap<>();

  public CheckpointScanner(Path root) {
    this.root = root;
  }

  /** Every checkpoint directory that has its trainer state, complete or not, by step (no stability check). */
  public List<CheckpointDir> present() {
    List<CheckpointDir> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (m.matches() && Files.isRegularFile(dir.resolve(TRAINER_STATE))) {
          out.add(new CheckpointDir(Long.parseLong(m.group(1)), dir));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
    out.sort(Comparator.comparingLong(CheckpointDir::step));
    return out;
  }

  /** Complete checkpoints, by step. */
  public List<CheckpointDir> complete() {
    List<CheckpointDir> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (!m.matches() || !Files.isDirectory(dir)) {
          continue;
        }
        if (!Checkpoint.hasWeights(dir) || !Files.isRegularFile(dir.resolve(TRAINER_STATE))) {
          continue;
        }
        long size = totalSize(dir);
        Long previous = lastSizes.put(dir, size);
        if (previous != null && previous == size) {
          out.add(new CheckpointDir(Long.parseLong(m.group(1)), dir));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + root, e);
    }
    out.sort(Comparator.comparingLong(CheckpointDir::step));
    return out;
  }

  private static long totalSize(Path dir) throws IOException {
    long n = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        n = n * 31 + (Files.isRegularFile(f) ? Files.size(f) : 0) + f.getFileName().hashCode();
      }
    }
    return n;
  }
}
