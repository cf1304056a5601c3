package io.alpharl.bench.scale.gen;

import io.alpharl.bench.scale.model.ModelSpec;
import io.alpharl.bench.scale.model.TensorSpec;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The f32 master weights of a synthetic run in a memory-mapped file, one mapping per tensor, so a
 * 0.5B model's 2 GB master costs page cache, not heap. The file is deleted on {@link #close}.
 * A tensor's buffer may be read and written by several threads at distinct indices.
 */
final class MasterWeights implements AutoCloseable {
  private final Path file;
  private final FileChannel channel;
  private final MappedByteBuffer[] maps;

  MasterWeights(Path file, ModelSpec model) throws IOException {
    this.file = file;
    this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    try {
      maps = new MappedByteBuffer[model.tensors().size()];
      long offset = 0;
      for (int i = 0; i < maps.length; i++) {
        TensorSpec t = model.tensors().get(i);
        long bytes = t.elements() * Float.BYTES;
        if (bytes > Integer.MAX_VALUE) {
          throw new IllegalArgumentException("tensor " + t.name() + " has " + t.elements() + " elements; the master maps a tensor at a time, "
              + "up to " + Integer.MAX_VALUE / Float.BYTES);
        }
        maps[i] = channel.map(FileChannel.MapMode.READ_WRITE, offset, bytes);
        maps[i].order(ByteOrder.LITTLE_ENDIAN);
        offset += bytes;
      }
    } catch (IOException | RuntimeException e) {
      channel.close();
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** A fresh view of tensor {@code index}'s values (position 0, its own position and limit). */
  FloatBuffer tensor(int index) {
    return maps[index].duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
  }

  /**
   * Writes the dirty pages out now, while nothing is measured, rather than leaving the kernel to
   * flush gigabytes in the middle of a measured step.
   */
  void force() {
    for (MappedByteBuffer m : maps) {
      m.force();
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
    Files.deleteIfExists(file);
  }
}
