package io.alpharl.extrapolator.follow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * ΔW of every tensor of one run, on disk rather than in the heap: per tensor one f32 file with
 * the sum of its deltas up to the newest step the run's predictions have reached, and one file
 * per later step's delta as it arrives. A prediction at step k folds the deltas up to k into the
 * sum and reads it, so it sees ΔW at k even when the deltas have run ahead. The heap holds one
 * block of 4 MiB; the files, an f32 model and the deltas not yet folded in.
 *
 * <p>Sums are added in f32 in step order, exactly as an in-memory running sum would be. Owns its
 * folder; {@link #close} deletes it. Not thread-safe.
 */
public final class DeltaSpill implements AutoCloseable {
  private static final int BLOCK_FLOATS = 1 << 20;
  private final Path dir;
  private final Map<String, Integer> ids = new HashMap<>();
  private final Map<String, NavigableSet<Long>> pending = new HashMap<>();
  private final Map<String, Long> summedThrough = new HashMap<>();
  private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer other = ByteBuffer.allocateDirect(BLOCK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final float[] a = new float[BLOCK_FLOATS];
  private final float[] b = new float[BLOCK_FLOATS];

  /** @param dir a folder of this spill's own; whatever a crashed process left there is removed */
  public DeltaSpill(Path dir) throws IOException {
    this.dir = dir;
    deleteRecursively(dir);
    Files.createDirectories(dir);
  }

  /** Records the delta of {@code tensor} at {@code step}. */
  public void add(String tensor, long step, float[] delta) throws IOException {
    try (FileChannel ch = FileChannel.open(pendingFile(tensor, step), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      for (int at = 0; at < delta.length; at += BLOCK_FLOATS) {
        int n = Math.min(BLOCK_FLOATS, delta.length - at);
        block.clear();
        block.asFloatBuffer().put(delta, at, n);
        block.limit(n * Float.BYTES);
        while (block.hasRemaining()) {
          ch.write(block);
        }
      }
    }
    pending.computeIfAbsent(tensor, k -> new TreeSet<>()).add(step);
  }

  /** True when the delta of exactly {@code step} has been recorded for {@code tensor}. */
  public boolean has(String tensor, long step) {
    NavigableSet<Long> steps = pending.get(tensor);
    return (steps != null && steps.contains(step)) || Long.valueOf(step).equals(summedThrough.get(tensor));
  }

  /**
   * Adds ΔW of {@code tensor} as of {@code step} into {@code values}, folding the deltas up to
   * {@code step} into the sum first.
   *
   * @return false when no delta up to {@code step} was recorded
   */
  public boolean addSumTo(String tensor, long step, float[] values) throws IOException {
    fold(tensor, step);
    Path sum = sumFile(tensor);
    if (!Files.exists(sum)) {
      return false;
    }
    try (FileChannel ch = FileChannel.open(sum, StandardOpenOption.READ)) {
      if (ch.size() != (long) values.length * Float.BYTES) {
        throw new IllegalStateException(tensor + ": ΔW has " + ch.size() / Float.BYTES + " values, the tensor " + values.length);
      }
      for (int at = 0; at < values.length; at += BLOCK_FLOATS) {
        int n = Math.min(BLOCK_FLOATS, values.length - at);
        read(ch, block, at, n).get(a, 0, n);
        for (int i = 0; i < n; i++) {
          values[at + i] += a[i];
        }
      }
    }
    return true;
  }

  /** Folds every recorded delta up to {@code step} into its tensor's sum and deletes its file. */
  public void foldThrough(long step) throws IOException {
    for (String tensor : new ArrayList<>(pending.keySet())) {
      fold(tensor, step);
    }
  }

  private void fold(String tensor, long step) throws IOException {
    NavigableSet<Long> steps = pending.get(tensor);
    if (steps == null) {
      return;
    }
    for (long s : new ArrayList<>(steps.headSet(step, true))) {
      Path delta = pendingFile(tensor, s);
      Path sum = sumFile(tensor);
      if (!Files.exists(sum)) {
        Files.move(delta, sum);
      } else {
        addInto(sum, delta);
        Files.delete(delta);
      }
      steps.remove(s);
      summedThrough.put(tensor, s);
    }
  }

  private void addInto(Path sum, Path delta) throws IOException {
    try (FileChannel s = FileChannel.open(sum, StandardOpenOption.READ, StandardOpenOption.WRITE);
         FileChannel d = FileChannel.open(delta, StandardOpenOption.READ)) {
      if (s.size() != d.size()) {
        throw new IllegalStateException(sum.getFileName() + ": a delta of " + d.size() + " bytes for a sum of " + s.size());
      }
      long floats = s.size() / Float.BYTES;
      for (long at = 0; at < floats; at += BLOCK_FLOATS) {
        int n = (int) Math.min(BLOCK_FLOATS, floats - at);
        read(s, block, at, n).get(a, 0, n);
        read(d, other, at, n).get(b, 0, n);
        for (int i = 0; i < n; i++) {
          a[i] += b[i];
        }
        block.clear();
        block.asFloatBuffer().put(a, 0, n);
        block.limit(n * Float.BYTES);
        long position = at * Float.BYTES;
        while (block.hasRemaining()) {
          position += s.write(block, position);
        }
      }
    }
  }

  private static FloatBuffer read(FileChannel ch, ByteBuffer buffer, long atFloat, int n) throws IOException {
    buffer.clear().limit(n * Float.BYTES);
    long position = atFloat * Float.BYTES;
    while (buffer.hasRemaining()) {
      int got = ch.read(buffer, position);
      if (got < 0) {
        throw new IOException("unexpected end of spill file at byte " + position);
      }
      position += got;
    }
    buffer.flip();
    return buffer.asFloatBuffer();
  }

  private Path sumFile(String tensor) {
    return dir.resolve(id(tensor) + ".sum.f32");
  }

  private Path pendingFile(String tensor, long step) {
    return dir.resolve(id(tensor) + ".step-" + step + ".f32");
  }

  /** Tensor names are not file names (slashes, lengths); a number per tensor is. */
  private int id(String tensor) {
    return ids.computeIfAbsent(tensor, k -> ids.size());
  }

  @Override
  public void close() {
    try {
      deleteRecursively(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the delta spill " + dir, e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
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
