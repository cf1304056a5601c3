package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrow checks a file's framing, not its cells: an empty cell where the schema allows none threw
 * Arrow's IllegalStateException or a NullPointerException from the record, and a replay printed a
 * stack trace where a damaged file is one line.
 */
class RecordingReaderTest {
  @TempDir
  Path dir;

  @Test
  void anEmptyCellIsADamagedFileInOneLine() throws Exception {
    Path file = dir.resolve("damaged.arrow");
    try (RootAllocator allocator = new RootAllocator(); VectorSchemaRoot root = VectorSchemaRoot.create(RecordingSchema.SCHEMA, allocator);
         FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      writer.start();
      ((TinyIntVector) root.getVector(RecordingSchema.KIND)).setSafe(0, RecordEntry.Kind.STEP.ordinal());
      ((BigIntVector) root.getVector(RecordingSchema.STEP)).setSafe(0, 5);
      ((VarCharVector) root.getVector(RecordingSchema.KEY)).setSafe(0, "run".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      ((VarBinaryVector) root.getVector(RecordingSchema.VALUE)).setNull(0);
      root.setRowCount(1);
      writer.writeBatch();
      writer.end();
    }
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, file)) {
      assertThatThrownBy(reader::nextBatch).isInstanceOf(IOException.class).hasMessage(file + " is damaged at batch 1: record 0 has an empty cell");
    }
  }
}
