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
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

/**
 * Writes a run recording: one Arrow IPC file ({@link RecordingSchema}) whose record batches each
 * hold a group of records (a step's frames and its commit marker, or the manifest and base).
 * The file appears under its final name only when {@link #close} completes, so a crashed
 * recording never looks whole.
 *
 * <p>Owns a child allocator and one reused root. Not thread-safe.
 */
public final class RecordingWriter implements AutoCloseable {
  private final Path target;
  private final Path tmp;
  private final BufferAllocator allocator;
  private final VectorSchemaRoot root;
  private final FileChannel channel;
  private final ArrowFileWriter writer;
  private final List<RecordEntry> pending = new ArrayList<>();
  private boolean closed;

  public RecordingWriter(BufferAllocator parent, Path target) throws IOException {
    this.target = target;
    this.tmp = target.resolveSibling(target.getFileName() + ".tmp");
    this.allocator = parent.newChildAllocator("recording-writer", 0, Long.MAX_VALUE);
    this.root = VectorSchemaRoot.create(RecordingSchema.SCHEMA, allocator);
    this.channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    this.writer = new ArrowFileWriter(root, null, channel);
    writer.start();
  }

  public void add(RecordEntry entry) {
    pending.add(entry);
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
    root.allocateNew();
    for (int i = 0; i < pending.size(); i++) {
      RecordEntry e = pending.get(i);
      kind.setSafe(i, e.kind().ordinal());
      step.setSafe(i, e.step());
      key.setSafe(i, e.key().getBytes(StandardCharsets.UTF_8));
      value.setSafe(i, e.value());
    }
    root.setRowCount(pending.size());
    writer.writeBatch();
    pending.clear();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
      writer.end();
    } finally {
      writer.close();
      channel.close();
      root.close();
      allocator.close();
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
