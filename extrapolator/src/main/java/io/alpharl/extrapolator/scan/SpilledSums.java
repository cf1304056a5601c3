package io.alpharl.extrapolator.scan;

import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.proto.frame.DecodedChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Per tensor, a weighted sum of its per-step deltas, Σ w_s δ_s, in an f32 file of its own that is
 * memory-mapped: a sparse step touches only the pages it changes, and the operating system, not
 * the heap, holds what does not fit in memory. With every weight 1 the sum is ΔW at the newest
 * step, the same f32 additions in the same order as the processor and the agent make.
 *
 * <p>Owns its folder: {@link #close} unmaps and deletes it. Not thread-safe; one scan fills it, then
 * one writer reads it ({@link #addTo}).
 */
public final class SpilledSums implements CarriedDeltas, AutoCloseable {
  /** Floats per mapping: a mapping holds at most 2 GiB. */
  private static final int SEGMENT_FLOATS = 1 << 28;

  private final Path dir;
  private final Map<String, List<FloatBuffer>> sums = new HashMap<>();
  private final List<MappedByteBuffer> mappings = new ArrayList<>();

  /** @param dir a folder of its own; whatever is there is removed */
  public SpilledSums(Path dir) throws IOException {
    this.dir = dir;
    deleteLeftovers(dir);
    Files.createDirectories(dir);
  }

  /** Adds {@code weight} × a chunk of one step's delta into the tensor's sum, creating it (zeros) with {@code elements} values. */
  public void add(String tensor, long elements, DecodedChunk chunk, float weight) throws IOException {
    List<FloatBuffer> segments = sums.get(tensor);
    if (segments == null) {
      segments = create(tensor, elements);
      sums.put(tensor, segments);
    }
    long base = chunk.elementOffset();
    float[] values = chunk.values();
    int[] indices = chunk.indices();
    for (int i = 0; i < values.length; i++) {
      long e = base + (indices == null ? i : indices[i]);
      FloatBuffer seg = segments.get((int) (e / SEGMENT_FLOATS));
      int at = (int) (e % SEGMENT_FLOATS);
      seg.put(at, seg.get(at) + (weight == 1f ? values[i] : weight * values[i]));
    }
  }

  /** True when some delta of {@code tensor} was added. */
  public boolean has(String tensor) {
    return sums.containsKey(tensor);
  }

  @Override
  public boolean addTo(String name, float[] values) {
    List<FloatBuffer> segments = sums.get(name);
    if (segments == null) {
      return false;
    }
    for (int s = 0; s < segments.size(); s++) {
      FloatBuffer seg = segments.get(s);
      long offset = (long) s * SEGMENT_FLOATS;
      for (int i = 0; i < seg.capacity(); i++) {
        values[(int) (offset + i)] += seg.get(i);
      }
    }
    return true;
  }

  private List<FloatBuffer> create(String tensor, long elements) throws IOException {
    Path file = dir.resolve(sums.size() + ".f32"); // tensor names are not file names
    List<FloatBuffer> segments = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.truncate(elements * Float.BYTES);
      for (long at = 0; at < elements; at += SEGMENT_FLOATS) {
        long n = Math.min(SEGMENT_FLOATS, elements - at);
        MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, at * Float.BYTES, n * Float.BYTES);
        mappings.add(m);
        segments.add(m.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
      }
    }
    return segments;
  }

  @Override
  public void close() {
    sums.clear();
    mappings.forEach(SpilledSums::unmap);
    mappings.clear();
    try {
      deleteLeftovers(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }

  /**
   * Releases a mapping now rather than at some garbage collection, so that the file's disk space
   * and page cache are freed when the prediction ends (Java 17 has no public unmap; this is the
   * documented escape hatch of the jdk.unsupported module).
   */
  private static void unmap(MappedByteBuffer buffer) {
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field f = unsafeClass.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      Method clean = unsafeClass.getMethod("invokeCleaner", java.nio.ByteBuffer.class);
      clean.invoke(f.get(null), buffer);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // The mapping then goes with the buffer's garbage collection; the file is deleted either way.
    }
  }

  /** Deletes a file or folder tree if it exists (what a crashed process left behind). */
  public static void deleteLeftovers(Path dir) throws IOException {
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
}
