package io.alpharl.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A folder a command writes into (state, predicted models), created and checked at
 * start: a path that cannot be written is the user's to fix, in one line, before a service starts
 * and fails on it later (the extrapolator only writes when a gate passes, maybe hours in).
 */
public final class WritableDir {
  private WritableDir() {}

  /**
   * @param option the option that named it, for the message
   * @throws UserError when the folder cannot be created or written
   */
  public static Path require(Path dir, String option) {
    requireNamed(dir, option);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UserError("cannot create " + option + " " + dir + " (" + describe(e) + ")");
    }
    if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
      throw new UserError(option + " " + dir + " is not a folder this user can write");
    }
    return dir;
  }

  /**
   * Like {@link #require} for a folder that is to be made only once there is something to put in
   * it (a command that fails half-way leaves no empty folder): the nearest folder of its path that
   * exists must be one this user can write.
   *
   * @throws UserError when it could not be made
   */
  public static Path requireCreatable(Path dir, String option) {
    requireNamed(dir, option);
    Path p = dir.toAbsolutePath();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null || !Files.isDirectory(p) || !Files.isWritable(p)) {
      throw new UserError("cannot create " + option + " " + dir + " (" + (p == null ? "no part of its path exists"
          : p.equals(dir.toAbsolutePath()) ? "it is not a folder this user can write" : p + " is not a folder this user can write") + ")");
    }
    return dir;
  }

  /** An empty path means the current folder to Java: a mistyped variable would write there. */
  public static void requireNamed(Path path, String option) {
    if (path.toString().isBlank()) {
      throw new UserError(option + " is empty: give a path");
    }
  }

  /**
   * Refuses an output that is one of the command's inputs or lies inside one (a checkpoint folder,
   * the base model): the command would write over what it reads, and the user's checkpoint would
   * be gone without a word.
   *
   * @param inputs folders the command reads, by what to call them
   */
  public static void requireApart(Path out, String option, java.util.Map<Path, String> inputs) {
    Path o = canonical(out);
    for (java.util.Map.Entry<Path, String> in : inputs.entrySet()) {
      Path input = canonical(in.getKey());
      if (o.startsWith(input)) {
        throw new UserError(option + " " + out + " is " + (o.equals(input) ? "" : "inside ") + in.getValue() + " " + in.getKey()
            + ", which this command reads: it would write over it; give a path outside it");
      }
    }
  }

  /** The path with its existing part's links resolved, so that two spellings of one folder compare equal. */
  private static Path canonical(Path path) {
    Path abs = path.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(abs));
    } catch (IOException e) {
      return abs;
    }
  }

  /** Why the file system refused, in words (Java's exceptions for it often carry only the path). */
  public static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "a file of that name is in the way";
    }
    if (e instanceof NoSuchFileException) {
      return "a folder on its path is missing or cannot hold it";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
