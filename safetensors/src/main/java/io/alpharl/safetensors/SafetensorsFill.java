package io.alpharl.safetensors;

import io.alpharl.safetensors.SafetensorsWriter.Declared;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file filled range by range, in any order, for values that arrive in pieces (a
 * recording's base model, a chunk at a time) and should not be gathered in memory first. The header
 * (from the tensors a {@link SafetensorsWriter} declared) and the given buffers are written when
 * it opens; each {@link #put} then writes f32 values, converted to their tensor's dtype, at their
 * place. Written under a temporary name, as {@link SafetensorsWriter#writeTo} writes: {@link
 * #finish} checks that each float tensor got its element count and moves the file into place,
 * {@link #close} deletes a file not finished. Owns its file channel. Not thread-safe.
 */
public final class SafetensorsFill implements AutoCloseable {
  private final Path file;
  private final Path tmp;
  private final FileChannel channel;
  private final List<Declared> declared;
  /** Each declared tensor's index, by name. */
  private final Map<String, Integer> index = new HashMap<>();
  /** Where each declared tensor's bytes begin in the file. */
  private final long[] starts;
  /** Values put so far, per declared tensor. */
  private final long[] put;
  private final ByteBuffer block = ByteBuffer.allocateDirect(SafetensorsWriter.BLOCK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
  private boolean finished;

  SafetensorsFill(Path file, byte[] header, List<Declared> declared) throws IOException {
    this.file = file;
    this.tmp = SafetensorsWriter.tmpOf(file);
    this.declared = List.copyOf(declared);
    this.starts = new long[declared.size()];
    this.put = new long[declared.size()];
    this.channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    try {
      SafetensorsWriter.writeHeader(channel, header);
      long at = 8 + header.length;
      for (int i = 0; i < declared.size(); i++) {
        Declared d = declared.get(i);
        starts[i] = at;
        at += d.bytes();
        index.put(d.name(), i);
        if (d.raw() != null) {
          channel.position(starts[i]);
          SafetensorsWriter.writeFully(channel, d.raw().duplicate());
        }
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Writes {@code values} (all remaining) of float tensor {@code name} from its element
   * {@code elementOffset} on; reads {@code values} without moving its position.
   *
   * @throws IllegalArgumentException for a name not declared as a float tensor, or a range past its end
   */
  public void put(String name, long elementOffset, FloatBuffer values) throws IOException {
    Integer i = index.get(name);
    if (i == null || declared.get(i).floats() == null) {
      throw new IllegalArgumentException(name + " is not a float tensor declared for " + file);
    }
    Declared d = declared.get(i);
    long elements = SafetensorsWriter.elements(d.shape());
    if (elementOffset < 0 || elementOffset + values.remaining() > elements) {
      throw new IllegalArgumentException(name + ": values " + elementOffset + ".." + (elementOffset + values.remaining()) + " of " + elements);
    }
    channel.position(starts[i] + elementOffset * d.floats().bytes());
    SafetensorsWriter.encode(values, d.floats(), block, channel);
    put[i] += values.remaining();
  }

  /**
   * Makes the file durable and moves it into place.
   *
   * @throws IllegalStateException naming a float tensor that did not get its element count
   */
  public void finish() throws IOException {
    for (int i = 0; i < declared.size(); i++) {
      Declared d = declared.get(i);
      if (d.floats() != null && put[i] != SafetensorsWriter.elements(d.shape())) {
        throw new IllegalStateException(d.name() + ": " + put[i] + " values put, the shape " + d.shape() + " has " + SafetensorsWriter.elements(d.shape()));
      }
    }
    channel.force(false);
    channel.close();
    SafetensorsWriter.moveIntoPlace(tmp, file);
    finished = true;
  }

  /** Deletes the file unless {@link #finish} moved it into place. */
  @Override
  public void close() throws IOException {
    if (finished) {
      return;
    }
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
