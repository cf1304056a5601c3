package io.alpharl.extrapolator.write;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The folders a model write leaves: deleting its staging folder and the model it replaces, making a model durable. Stateless. */
public final class Folders {
  private Folders() {}

  /** Deletes a file or folder tree if it exists. */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir)) {
      all = s.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : all) {
      Files.delete(p);
    }
  }

  /** Forces every file under {@code dir} and every folder's entries to disk (files already forced cost a call each). */
  public static void syncTree(Path dir) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir)) {
      all = s.sorted(Comparator.reverseOrder()).toList(); // a folder after what it holds
    }
    for (Path p : all) {
      if (Files.isSymbolicLink(p)) {
        continue; // a model file made as a link (PredictedModelWriter): its name is synced with the folder, its target is not ours to open
      }
      if (Files.isDirectory(p)) {
        syncFolder(p);
      } else {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
          ch.force(true);
        }
      }
    }
  }

  /** Forces a folder's entries (the names in it) to disk, as a rename into it needs to survive a power loss. */
  public static void syncFolder(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }
}
