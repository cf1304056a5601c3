package io.alpharl.agent.delta;

import io.alpharl.proto.frame.DecodedChunk;
import io.alpharl.proto.frame.WireDtype;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The agent's copy of what consumers have summed so far: S_t = Σ δ per tensor, in f32, with the
 * same additions in the same order as a consumer makes them, kept in a file rather than the heap
 * (an f32 copy of the model: 2 GB at 0.5B, 28 GB at 7B), read and written one chunk at a time.
 *
 * <p>The agent sends δ_t = round((W_t − W_0) − S_(t−1)) rather than W_t − W_(t−1): this is
 * error feedback, so whatever rounding a delta suffered (to a 16-bit wire dtype, or f32's own) is
 * made good by the next one, and the consumer's sum stays within one rounding of the newest delta
 * of W_t − W_0 instead of drifting. With f32 on the wire and checkpoints in bf16 or f16 the
 * differences are exact, and the sum bit-exact, wherever W_t − W_0 is exact in f32 (exponents at
 * most 16 apart; a value that moved far against its size is within a few ulps). It also means a checkpoint the trainer deleted
 * before the agent read it costs nothing: the next one's delta covers both.
 *
 * <p>Two files take turns: a step reads S_(t−1) from one and writes S_t to the other, chunk by chunk
 * as it is sent, and {@link #commitStep} makes the new one current. A step aborted half-way (a NaN
 * in the checkpoint's last tensor, a file that vanished) leaves S_(t−1) as it was, with nothing to
 * undo. Owns its files: {@link #close} deletes them. Not thread-safe.
 */
public final class RunningSum implements AutoCloseable {
  private final Path file;
  private final Path otherFile;
  private FileChannel channel;
  private FileChannel next;
  private final Map<String, long[]> layout = new HashMap<>();
  private final long floats;
  private ByteBuffer scratch = ByteBuffer.allocate(0);
  private float[] values = new float[0];

  /**
   * @param file    a file of its own, made anew here (whatever was at its path is deleted), with a sibling for the step in progress
   * @param tensors each tensor's element count, in the order they are laid out in the file
   */
  public RunningSum(Path file, Map<String, Long> tensors) throws IOException {
    this.file = file;
    this.otherFile = file.resolveSibling(file.getFileName() + ".next");
    Files.createDirectories(file.toAbsolutePath().getParent());
    long at = 0;
    for (Map.Entry<String, Long> t : tensors.entrySet()) {
      layout.put(t.getKey(), new long[] {at, t.getValue()});
      at += t.getValue();
    }
    this.floats = at;
    this.channel = open(file, at);
    this.next = open(otherFile, at);
  }

  /**
   * A sparse file of zeros (S_0 = 0) of {@code floats} values, new and readable by this user alone:
   * the default folder is the shared temporary one, where the name is predictable. Opened as found,
   * a file another user made there first (writable by all) or a link planted in its place was
   * written through, and read back as S, so the run's deltas were whatever they made them; and the
   * run's update, W_t − W_0, was readable by every user of the machine.
   */
  private static FileChannel open(Path path, long floats) throws IOException {
    Files.deleteIfExists(path); // an earlier process's with this pid (the pid reused), or planted: never opened
    Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileChannel ch = path.getFileSystem().supportedFileAttributeViews().contains("posix")
        ? FileChannel.open(path, options, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
        : FileChannel.open(path, options);
    if (floats > 0) {
      ch.write(ByteBuffer.allocate(1), floats * Float.BYTES - 1); // extends the file with a hole: zeros, no disk written
    }
    return ch;
  }

  /**
   * Computes δ = wire.round(target − S) for elements {@code [from, from + count)} of one tensor into
   * {@code deltaOut[0..count)} and writes S + δ for them into the step in progress.
   *
   * @param target the cumulative update W_t − W_0 of those elements; not modified
   * @return the index (within the range) of the first non-finite value of δ (NaN in, or overflow of
   *     the wire dtype), or −1 when all are finite
   */
  public int advance(String tensor, long from, float[] target, float[] deltaOut, int count, WireDtype wire) {
    return advance(tensor, from, target, deltaOut, count, wire, null);
  }

  /**
   * As {@link #advance(String, long, float[], float[], int, WireDtype)}, adding to {@code squares}
   * (where given) what {@link DeltaSquares} sums.
   */
  public int advance(String tensor, long from, float[] target, float[] deltaOut, int count, WireDtype wire, DeltaSquares squares) {
    return advance(tensor, from, target, deltaOut, count, wire, squares, null);
  }

  /**
   * As {@link #advance(String, long, float[], float[], int, WireDtype, DeltaSquares)}, copying the
   * new S of those elements into {@code sumOut[0..count)} where given (a keyframe of them).
   */
  public int advance(String tensor, long from, float[] target, float[] deltaOut, int count, WireDtype wire, DeltaSquares squares, float[] sumOut) {
    float[] s = read(tensor, from, count);
    for (int i = 0; i < count; i++) {
      float exact = target[i] - s[i];
      float d = wire.round(exact);
      if (!Float.isFinite(d)) {
        return i;
      }
      deltaOut[i] = d;
      if (squares != null) {
        squares.add(exact, d);
      }
    }
    for (int i = 0; i < count; i++) {
      s[i] += deltaOut[i];
    }
    if (sumOut != null) {
      System.arraycopy(s, 0, sumOut, 0, count);
    }
    write(next, tensor, from, s, count);
    return -1;
  }

  /**
   * The step in progress becomes S: every element must have been written by {@link #advance} since
   * the last commit (the agent sends every tensor at every step).
   */
  public void commitStep() {
    FileChannel t = channel;
    channel = next;
    next = t;
  }

  /** S = 0 again: a rebuild from the log that cannot use what it added starts over. */
  public void clear() {
    try {
      for (FileChannel ch : List.of(channel, next)) {
        ch.truncate(0);
        if (floats > 0) {
          ch.write(ByteBuffer.allocate(1), floats * Float.BYTES - 1);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot clear the running sum in " + file + ": " + e.getMessage(), e);
    }
  }

  /** Adds a delta that consumers already have (rebuilding S from the log). */
  public void add(String tensor, DecodedChunk chunk) {
    int count = chunk.elementCount();
    float[] s = read(tensor, chunk.elementOffset(), count);
    chunk.addInto(s, 0);
    write(channel, tensor, chunk.elementOffset(), s, count);
  }

  /** How many values {@code tensor} has here; −1 when it is not one of the sum's tensors. */
  public long size(String tensor) {
    long[] t = layout.get(tensor);
    return t == null ? -1 : t[1];
  }

  /** S of elements {@code [from, from + count)} of a tensor, into a scratch array that the next call reuses. */
  public float[] read(String tensor, long from, int count) {
    long position = position(tensor, from, count);
    ensure(count);
    scratch.clear().limit(count * Float.BYTES);
    try {
      while (scratch.hasRemaining()) {
        if (channel.read(scratch, position + scratch.position()) < 0) {
          throw new IOException("end of file at " + (position + scratch.position()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the running sum in " + file + ": " + e.getMessage(), e);
    }
    scratch.flip();
    scratch.asFloatBuffer().get(values, 0, count);
    return values;
  }

  private void write(FileChannel target, String tensor, long from, float[] s, int count) {
    long position = position(tensor, from, count);
    ensure(count);
    scratch.clear();
    scratch.asFloatBuffer().put(s, 0, count);
    scratch.limit(count * Float.BYTES);
    try {
      while (scratch.hasRemaining()) {
        target.write(scratch, position + scratch.position());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the running sum in " + file + ": " + e.getMessage(), e);
    }
  }

  private long position(String tensor, long from, int count) {
    long[] t = layout.get(tensor);
    if (t == null) {
      throw new IllegalArgumentException("no tensor " + tensor + " in the running sum");
    }
    if (from < 0 || count < 0 || from + count > t[1]) {
      throw new IllegalArgumentException(tensor + ": elements [" + from + ", " + (from + count) + ") outside its " + t[1]);
    }
    return (t[0] + from) * Float.BYTES;
  }

  private void ensure(int count) {
    if (values.length < count) {
      values = new float[count];
      scratch = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
      next.close();
      Files.deleteIfExists(file);
      Files.deleteIfExists(otherFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + file, e);
    }
  }
}
