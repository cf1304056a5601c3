package io.alpharl.proto.frame;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * Writes a run recording: one Arrow IPC file ({@link RecordingSchema}) whose record batches each
 * hold a group of records (a step's frames and its commit marker, or the manifest and base), or
 * part of one where it passes {@link #MAX_BATCH_BYTES}.
 * The file appears under its final name only when {@link #commit} completes: closed without it
 * (the recording failed part way, with an exception on its way out), the partial file is deleted
 * and an earlier recording under the name is left as it was, so a failed recording never looks
 * whole. A writer holds the lock on {@code .NAME.lock} beside the recording from before it makes its
 * partial file until after that file is moved into place or deleted, so two writers never write into
 * one file and none truncates a file another has just put in place. The lock file is left where it is:
 * a lock on a file that can be deleted or moved (the partial file itself, before) can be taken by a
 * second writer that opened the file a moment before it went.
 *
 * <p>Owns a child allocator and one reused root. Not thread-safe.
 */
public final class RecordingWriter implements AutoCloseable {
  private final Path target;
  private final Path tmp;
  private final io.alpharl.proto.lock.LockFile lock;
  private final BufferAllocator allocator;
  private final VectorSchemaRoot root;
  private final FileChannel channel;
  private final ArrowFileWriter writer;
  private final List<RecordEntry> pending = new ArrayList<>();
  private final long maxBatchBytes;
  private long pendingBytes;
  private boolean closed;

  /**
   * The most bytes of values a record batch holds before it is written: a batch's values column
   * cannot pass 2 GiB (Arrow's 32-bit offsets), which a 1.5B model's f32 base, one batch, did; and
   * the batch being gathered is on the heap, where G1 takes each 512 KB frame as a humongous object
   * at heaps up to 2 GB (twice its size): at 256 MB, recording a 0.5B model's base ran out of a 512 MB
   * heap. Readers take batches of any size.
   */
  public static final long MAX_BATCH_BYTES = 64L << 20;

  /** Where the recording is put when committed. */
  public Path target() {
    return target;
  }

  /** Another writer, of this process or another, is writing a recording to the name. */
  public static final class InUseException extends IOException {
    private static final long serialVersionUID = 1L;

    InUseException(String message) {
      super(message);
    }
  }

  /** @throws InUseException when another writer (this process or another) is writing a recording to {@code target} */
  public RecordingWriter(BufferAllocator parent, Path target) throws IOException {
    this(parent, target, MAX_BATCH_BYTES);
  }

  /** @param maxBatchBytes where a batch is cut ({@link #MAX_BATCH_BYTES}; tests cut small, to see a step span batches) */
  public RecordingWriter(BufferAllocator parent, Path target, long maxBatchBytes) throws IOException {
    this.target = target;
    this.maxBatchBytes = maxBatchBytes;
    this.tmp = target.resolveSibling(target.getFileName() + ".tmp");
    this.lock = io.alpharl.proto.lock.LockFile.tryTake(target.resolveSibling("." + target.getFileName() + ".lock"))
        .orElseThrow(() -> new InUseException("another recording to " + target + " is being written (its lock file is held)"));
    FileChannel file = null;
    BufferAllocator buffers = null;
    VectorSchemaRoot vectors = null;
    try {
      // What a recording that was killed left is written over, not kept beside.
      file = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
      buffers = parent.newChildAllocator("recording-writer", 0, Long.MAX_VALUE);
      vectors = VectorSchemaRoot.create(RecordingSchema.SCHEMA, buffers);
      ArrowFileWriter arrow = new ArrowFileWriter(vectors, null, file);
      arrow.start();
      this.channel = file;
      this.allocator = buffers;
      this.root = vectors;
      this.writer = arrow;
    } catch (IOException | RuntimeException e) {
      // Held, the lock would refuse every later recorder of the name in this process; left, the partial file would stay. The file
      // goes before the lock does: after it, the name is another recorder's.
      for (AutoCloseable made : new AutoCloseable[] {vectors, buffers, file}) {
        try {
          if (made != null) {
            made.close();
          }
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      try {
        if (file != null) {
          Files.deleteIfExists(tmp);
        }
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      } finally {
        lock.close();
      }
      throw e;
    }
  }

  /**
   * Adds a record to the batch being gathered, writing the batch first where the record would take
   * it past {@link #MAX_BATCH_BYTES}: a step's records may then span batches (a reader gathers a
   * step's deltas up to its commit).
   */
  public void add(RecordEntry entry) throws IOException {
    if (!pending.isEmpty() && pendingBytes + entry.value().length > maxBatchBytes) {
      flush();
    }
    pending.add(entry);
    pendingBytes += entry.value().length;
  }

  /** Writes the records added since the last flush as one record batch. */
  public void flush() throws IOException {
    if (pending.isEmpty()) {
      return;
    }
    TinyIntVector kind = (TinyIntVector) root.getVector(RecordingSchema.KIND);
    BigIntVector step = (BigIntVector) root.getVector(RecordingSchema.STEP);
    VarCharVector key = (VarCharVector) root.getVector(RecordingSchema.KEY);
    VarBinaryVector value = (VarBinaryVector) root.getVector(RecordingSchema.VALUE);
    IntVector crc = (IntVector) root.getVector(RecordingSchema.CRC);
    root.allocateNew();
    for (int i = 0; i < pending.size(); i++) {
      RecordEntry e = pending.get(i);
      byte[] keyBytes = e.key().getBytes(StandardCharsets.UTF_8);
      kind.setSafe(i, e.kind().code());
      step.setSafe(i, e.step());
      key.setSafe(i, keyBytes);
      value.setSafe(i, e.value());
      crc.setSafe(i, RecordingSchema.crc(e.kind().code(), e.step(), java.nio.ByteBuffer.wrap(keyBytes), java.nio.ByteBuffer.wrap(e.value())));
    }
    root.setRowCount(pending.size());
    writer.writeBatch();
    pending.clear();
    pendingBytes = 0;
  }

  /** Writes what is pending and the file's footer, and puts the recording in place under its name. */
  public void commit() throws IOException {
    if (closed) {
      throw new IllegalStateException("the recording " + target + " is closed");
    }
    Throwable failed = null;
    try {
      boolean moved = false;
      try {
        flush();
        writer.end();
        // On disk before the name moves: after a power loss the move could stand over an empty file, the recording it replaced gone.
        channel.force(true);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        moved = true;
      } finally {
        if (!moved) {
          // Left, a partial file of gigabytes would stay until the next recorder of the name.
          Files.deleteIfExists(tmp);
        }
      }
      try (FileChannel folder = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
        folder.force(true); // the new name itself
      }
    } catch (IOException | RuntimeException e) {
      failed = e;
      throw e;
    } finally {
      releaseAfter(failed);
    }
  }

  /** Releases the file and buffers; the partial file is deleted unless {@link #commit} put it in place. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    Throwable failed = null;
    try {
      Files.deleteIfExists(tmp);
    } catch (IOException | RuntimeException e) {
      failed = e;
      throw e;
    } finally {
      releaseAfter(failed);
    }
  }

  /**
   * {@link #release}, whose own failure does not hide the one it follows: after a full disk the
   * writer's close writes the footer again, and its error stood in the place of the first.
   */
  private void releaseAfter(Throwable failed) throws IOException {
    try {
      release();
    } catch (IOException | RuntimeException e) {
      if (failed == null) {
        throw e;
      }
      failed.addSuppressed(e);
    }
  }

  private void release() throws IOException {
    closed = true;
    try {
      try {
        writer.close();
      } finally {
        channel.close(); // the file's handle, whatever the writer's close met
      }
    } finally {
      try {
        root.close();
        allocator.close();
      } finally {
        lock.close(); // last: the partial file is gone or in place by now
      }
    }
  }
}
