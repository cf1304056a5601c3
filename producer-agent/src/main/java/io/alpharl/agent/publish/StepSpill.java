package io.alpharl.agent.publish;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A step's frames kept on disk until its commit, so that a recording holds no step cut short
 * without holding the step in memory: on the heap, a 7B step was about 1.5 GB of frames (twenty
 * times that where its deltas are dense). Each frame is written as its key and value, each
 * preceded by its length. Owns its file, which {@link #close} deletes. Not thread-safe.
 */
final class StepSpill implements AutoCloseable {
  private final Path file;
  private DataOutputStream out;
  private int frames;

  /**
   * The spill {@code .NAME.step} in {@code dir} (the recording's folder: a step at 7B is more than
   * many a system's temporary folder holds) of the recording {@code name}, whose writer holds its
   * lock: one recorder of a name at a time, so the name is fixed, and what a recorder of that name
   * killed before left there is written over, as its partial recording is.
   */
  StepSpill(Path dir, String name) throws IOException {
    this.file = dir.resolve("." + name + ".step");
    this.out = open();
  }

  private DataOutputStream open() throws IOException {
    return new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 20));
  }

  /** Keeps a frame of the step. */
  void add(String key, byte[] value) throws IOException {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    out.writeInt(k.length);
    out.write(k);
    out.writeInt(value.length);
    out.write(value);
    frames++;
  }

  /** What {@link #forEach} hands on: one kept frame. */
  @FunctionalInterface
  interface FrameSink {
    void accept(String key, byte[] value) throws IOException;
  }

  /** Hands on the step's frames in the order kept. */
  void forEach(FrameSink sink) throws IOException {
    out.flush();
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
      for (int i = 0; i < frames; i++) {
        byte[] key = new byte[in.readInt()];
        in.readFully(key);
        byte[] value = new byte[in.readInt()];
        in.readFully(value);
        sink.accept(new String(key, StandardCharsets.UTF_8), value);
      }
    } catch (EOFException e) {
      throw new IOException(file + " holds fewer than the " + frames + " frames kept in it", e);
    }
  }

  /** Forgets the step's frames (the next step begins, or this one was aborted). */
  void clear() throws IOException {
    out.close();
    out = open(); // truncates
    frames = 0;
  }

  @Override
  public void close() throws IOException {
    try {
      out.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
