package io.alpharl.proto.frame;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.InvalidArrowFileException;

/**
 * Reads a run recording batch by batch ({@link #nextBatch}), so a long run is never held in
 * memory whole. Owns a child allocator and the file; {@link #close} releases both.
 */
public final class RecordingReader implements AutoCloseable {
  private final Path path;
  private final BufferAllocator allocator;
  private final FileChannel channel;
  private final ArrowFileReader reader;
  /** Batches asked for so far, for messages. */
  private int batches;

  public RecordingReader(BufferAllocator parent, Path path) throws IOException {
    this.path = path;
    this.allocator = parent.newChildAllocator("recording-reader", 0, Long.MAX_VALUE);
    FileChannel opened = null;
    try {
      opened = FileChannel.open(path, StandardOpenOption.READ);
      this.channel = opened;
      this.reader = new ArrowFileReader(channel, allocator);
      if (!reader.getVectorSchemaRoot().getSchema().equals(RecordingSchema.SCHEMA)) {
        throw new IOException(path + " is an Arrow file but not an AlphaRL recording (schema " + reader.getVectorSchemaRoot().getSchema() + ")");
      }
    } catch (InvalidArrowFileException e) {
      release(opened);
      throw new IOException(path + " is not a complete Arrow IPC file: " + e.getMessage(), e);
    } catch (IOException | org.apache.arrow.memory.OutOfMemoryException e) {
      release(opened);
      throw e;
    } catch (RuntimeException e) {
      // A footer damaged past what Arrow checks (an index out of its buffers): one line for the user, not a trace.
      release(opened);
      throw new IOException(path + " is damaged: its Arrow footer does not read (" + e + ")", e);
    }
  }

  /** What a constructor that failed holds: the file and the allocator. */
  private void release(FileChannel opened) throws IOException {
    try {
      if (opened != null) {
        opened.close();
      }
    } finally {
      allocator.close();
    }
  }

  /** Number of record batches in the file. */
  public int batchCount() throws IOException {
    return reader.getRecordBlocks().size();
  }

  /** The next batch of records, or an empty list at the end. */
  public List<RecordEntry> nextBatch() throws IOException {
    batches++;
    try {
      return readBatch();
    } catch (IOException | org.apache.arrow.memory.OutOfMemoryException e) {
      throw e; // too little direct memory is not a damaged file
    } catch (RuntimeException e) {
      // Arrow checks no content: a null cell, a row count past its buffers, damaged batch metadata throw Arrow's or the JDK's
      // runtime exceptions, which a command printed as a stack trace.
      throw new IOException(path + " is damaged at batch " + batches + " (" + e + ")", e);
    }
  }

  private List<RecordEntry> readBatch() throws IOException {
    if (!reader.loadNextBatch()) {
      return List.of();
    }
    VectorSchemaRoot root = reader.getVectorSchemaRoot();
    TinyIntVector kind = (TinyIntVector) root.getVector(RecordingSchema.KIND);
    BigIntVector step = (BigIntVector) root.getVector(RecordingSchema.STEP);
    VarCharVector key = (VarCharVector) root.getVector(RecordingSchema.KEY);
    VarBinaryVector value = (VarBinaryVector) root.getVector(RecordingSchema.VALUE);
    RecordEntry.Kind[] kinds = RecordEntry.Kind.values();
    List<RecordEntry> out = new ArrayList<>(root.getRowCount());
    for (int i = 0; i < root.getRowCount(); i++) {
      if (kind.isNull(i) || step.isNull(i) || key.isNull(i) || value.isNull(i)) {
        throw new IOException(path + " is damaged at batch " + batches + ": record " + i + " has an empty cell");
      }
      int k = kind.get(i);
      if (k < 0 || k >= kinds.length) {
        throw new IOException(path + ": record " + i + " has unknown kind " + k);
      }
      out.add(new RecordEntry(kinds[k], step.get(i), new String(key.get(i), StandardCharsets.UTF_8), value.get(i)));
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    try {
      reader.close();
    } finally {
      channel.close();
      allocator.close();
    }
  }
}
