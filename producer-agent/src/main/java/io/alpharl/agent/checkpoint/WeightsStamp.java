package io.alpharl.agent.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The weights files of a checkpoint as the file system describes them: each file's size, time and
 * identity (inode). Taken before a checkpoint is opened and again after its last value is read, it
 * tells whether the trainer wrote the files meanwhile: a trainer that resumed and saves the same
 * step again rewrites its shards in place, and a read that spans the rewrite takes some tensors
 * from one save and some from the other, a model that never existed, with every check passing.
 */
public record WeightsStamp(Map<String, String> files) {
  /** The stamp of {@code dir}'s safetensors files and shard index; a file gone between listing and reading is absent. */
  public static WeightsStamp of(Path dir) {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> list = Files.list(dir)) {
      for (Path f : (Iterable<Path>) list::iterator) {
        String name = f.getFileName().toString();
        if (!name.endsWith(".safetensors") && !name.endsWith(".safetensors.index.json")) {
          continue;
        }
        try {
          BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
          files.put(name, a.size() + " " + a.lastModifiedTime().toInstant() + " " + Objects.toString(a.fileKey(), ""));
        } catch (NoSuchFileException gone) {
          // absent, as if listed a moment later
        }
      }
    } catch (NoSuchFileException gone) {
      return new WeightsStamp(Map.of());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    return new WeightsStamp(Map.copyOf(files));
  }

  /**
   * Whether a file here was written (or made) since {@code earlier}. A file gone is not: a
   * rotation that deletes a checkpoint while it is read leaves the opened files readable as they
   * were, and such a step is sent whole.
   */
  public boolean writtenSince(WeightsStamp earlier) {
    return files.entrySet().stream().anyMatch(e -> !e.getValue().equals(earlier.files.get(e.getKey())));
  }
}
