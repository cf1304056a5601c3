package io.alpharl.proto.frame;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;

/**
 * Reads a run recording batch by batch ({@link #nextBatch}), so a long run is never held in
 * memory whole, and an earlier batch again by its index ({@link #batch}), so that a step whose
 * records span batches need not be held whole either. Owns a child allocator and the file;
 * {@link #close} releases both.
 */
public final class RecordingReader implements AutoCloseable {
  private final Path path;
  private final BufferAllocator allocator;
  private final FileChannel channel;
  private final ArrowFileReader reader;
  /** Whether the file's records carry checksums: recordings made before them do not. */
  private final boolean checksummed;
  /** The index of the batch {@link #nextBatch} reads. */
  private int next;
  /** Batches loaded so far: a batch's list reads its rows while it is the one loaded. */
  private int loads;

  public RecordingReader(BufferAllocator parent, Path path) throws IOException {
    this.path = path;
    this.allocator = parent.newChildAllocator("recording-reader", 0, Long.MAX_VALUE);
    FileChannel opened = null;
    ArrowFileReader made = null;
    try {
      opened = FileChannel.open(path, StandardOpenOption.READ);
      this.channel = opened;
      made = new ArrowFileReader(channel, allocator);
      this.reader = made;
      org.apache.arrow.vector.types.pojo.Schema schema = reader.getVectorSchemaRoot().getSchema();
      if (!schema.equals(RecordingSchema.SCHEMA) && !schema.equals(RecordingSchema.UNCHECKED)) {
        throw new IOException(path + " is an Arrow file but not an AlphaRL recording (schema " + schema + ")");
      }
      this.checksummed = schema.equals(RecordingSchema.SCHEMA);
    } catch (InvalidArrowFileException e) {
      release(opened, made);
      throw new IOException(path + " is not a complete Arrow IPC file: " + e.getMessage(), e);
    } catch (IOException | org.apache.arrow.memory.OutOfMemoryException e) {
      release(opened, made);
      throw e;
    } catch (RuntimeException e) {
      // A footer damaged past what Arrow checks (an index out of its buffers): one line for the user, not a trace.
      release(opened, made);
      throw new IOException(path + " is damaged: its Arrow footer does not read (" + e + ")", e);
    }
  }

  /**
   * What a constructor that failed holds: the file, the Arrow reader (with a foreign file's
   * dictionaries, loaded with its schema: left open, the allocator's leak check threw in place of
   * the refusal) and the allocator.
   */
  private void release(FileChannel opened, ArrowFileReader made) throws IOException {
    try {
      if (made != null) {
        made.close(); // and the file under it
      } else if (opened != null) {
        opened.close();
      }
    } finally {
      allocator.close();
    }
  }

  /** Whether each record is checked against its checksum as its batch is read (false for recordings made before checksums). */
  public boolean checksummed() {
    return checksummed;
  }

  /** Number of record batches in the file. */
  public int batchCount() throws IOException {
    return reader.getRecordBlocks().size();
  }

  /** The next batch of records, or an empty list at the end; valid until another batch is read. */
  public List<RecordEntry> nextBatch() throws IOException {
    if (next >= batchCount()) {
      return List.of();
    }
    return batch(next++);
  }

  /** The index (from 0) of the batch the last {@link #nextBatch} returned. */
  public int lastBatchIndex() {
    return next - 1;
  }

  /**
   * Batch {@code index} (from 0) again, without moving {@link #nextBatch}; valid until another batch is read.
   *
   * @throws IndexOutOfBoundsException for an index past the file's batches
   */
  public List<RecordEntry> batch(int index) throws IOException {
    org.apache.arrow.vector.ipc.message.ArrowBlock block = reader.getRecordBlocks().get(index);
    loads++; // the vectors the lists handed out read are loaded anew, whether or not this load succeeds
    try {
      reader.loadRecordBatch(block);
      return readBatch(index + 1);
    } catch (IOException | org.apache.arrow.memory.OutOfMemoryException e) {
      throw e; // too little direct memory is not a damaged file
    } catch (RuntimeException e) {
      // Arrow checks no content: a null cell, a row count past its buffers, damaged batch metadata throw Arrow's or the JDK's
      // runtime exceptions, which a command printed as a stack trace.
      throw new IOException(path + " is damaged at batch " + (index + 1) + " (" + e + ")", e);
    }
  }

  /**
   * The loaded batch's records, each read from the loaded vectors when asked (a batch is up to
   * 64 MB of values, 256 MB in recordings made before: copied out whole, it needed twice that of heap, more where G1 takes a 512 KB
   * frame as a humongous object). Every cell is checked here, so that a damaged file is one line
   * before any of it is used; the list is valid until another batch is loaded.
   *
   * @param batches its number from 1, for messages
   */
  private List<RecordEntry> readBatch(int batches) throws IOException {
    VectorSchemaRoot root = reader.getVectorSchemaRoot();
    TinyIntVector kind = (TinyIntVector) root.getVector(RecordingSchema.KIND);
    BigIntVector step = (BigIntVector) root.getVector(RecordingSchema.STEP);
    VarCharVector key = (VarCharVector) root.getVector(RecordingSchema.KEY);
    VarBinaryVector value = (VarBinaryVector) root.getVector(RecordingSchema.VALUE);
    IntVector crc = checksummed ? (IntVector) root.getVector(RecordingSchema.CRC) : null;
    int rows = root.getRowCount();
    for (int i = 0; i < rows; i++) {
      if (kind.isNull(i) || step.isNull(i) || key.isNull(i) || value.isNull(i) || (crc != null && crc.isNull(i))) {
        throw new IOException(path + " is damaged at batch " + batches + ": record " + i + " has an empty cell");
      }
      int k = kind.get(i);
      int row = i;
      RecordEntry.Kind recorded = RecordEntry.Kind.of(k).orElseThrow(() -> new IOException(path + ": record " + row + " has unknown kind " + k));
      if (!withinData(key, i) || !withinData(value, i)) {
        throw new IOException(path + " is damaged at batch " + batches + ": record " + i + " points past its batch's data");
      }
      if (crc != null && crc.get(i) != RecordingSchema.crc(k, step.get(i), cell(key, i), cell(value, i))) {
        // Before any check of the record's content (a frame's own checksums, a commit's fields): a byte flipped anywhere in a
        // record is said here, worded as RecordingCheck words a damaged record, the key as it reads (its bytes may be the damaged ones).
        throw new IOException(path + " is damaged at batch " + batches + " (" + recorded + " record of step " + step.get(i) + ", "
            + new String(key.get(i), StandardCharsets.UTF_8) + "): record " + i + " does not match its checksum");
      }
    }
    int load = loads;
    return new java.util.AbstractList<>() {
      @Override
      public RecordEntry get(int i) {
        java.util.Objects.checkIndex(i, rows);
        if (load != loads) {
          throw new IllegalStateException("batch " + batches + " of " + path + " was read before another one: read it again (batch(index))");
        }
        return new RecordEntry(RecordEntry.Kind.of(kind.get(i)).orElseThrow(), step.get(i), new String(key.get(i), StandardCharsets.UTF_8), value.get(i));
      }

      @Override
      public int size() {
        return rows;
      }
    };
  }

  /** Row {@code i}'s bytes where they lie, not copied (a batch's values are up to 64 MB). */
  private static java.nio.ByteBuffer cell(org.apache.arrow.vector.BaseVariableWidthVector v, int i) {
    return v.getDataBuffer().nioBuffer(v.getStartOffset(i), v.getValueLength(i));
  }

  /** Whether row {@code i}'s cell lies within the vector's data. */
  private static boolean withinData(org.apache.arrow.vector.BaseVariableWidthVector v, int i) {
    long start = v.getStartOffset(i);
    long length = v.getValueLength(i);
    return start >= 0 && length >= 0 && start + length <= v.getDataBuffer().capacity();
  }

  @Override
  public void close() throws IOException {
    loads++; // the lists handed out read the released vectors no more
    try {
      reader.close();
    } finally {
      channel.close();
      allocator.close();
    }
  }
}
