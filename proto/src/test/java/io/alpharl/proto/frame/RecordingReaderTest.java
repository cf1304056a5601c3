package io.alpharl.proto.frame;

import static org.assertj.core.api.Assertions.assertThat;
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

  /**
   * The codes recordings store for each kind, pinned: they were the enum's positions, which a kind
   * added or moved changed under every recording already made, the bundled run's among them.
   */
  @Test
  void eachKindKeepsTheCodeRecordingsStore() {
    assertThat(java.util.Arrays.stream(RecordEntry.Kind.values()).map(k -> k.name() + "=" + k.code()))
        .containsExactly("MANIFEST=0", "BASE=1", "DELTA=2", "STEP=3", "BASE_FILE=4");
    for (RecordEntry.Kind k : RecordEntry.Kind.values()) {
      assertThat(RecordEntry.Kind.of(k.code())).hasValue(k);
    }
    assertThat(RecordEntry.Kind.of(5)).isEmpty();
  }

  @Test
  void anEmptyCellIsADamagedFileInOneLine() throws Exception {
    Path file = writeOneRecord("damaged.arrow", RecordingSchema.SCHEMA, RecordEntry.Kind.STEP, 5, "run", null);
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, file)) {
      assertThatThrownBy(reader::nextBatch).isInstanceOf(IOException.class).hasMessage(file + " is damaged at batch 1: record 0 has an empty cell");
    }
  }

  /**
   * A foreign Arrow file whose column is dictionary-encoded: its dictionaries are loaded as its
   * schema is read, and the refusal closed the allocator under them, so Arrow's leak check threw
   * in place of the one-line refusal.
   */
  @Test
  void aForeignArrowFileWithADictionaryIsRefusedInOneLine() throws Exception {
    Path file = dir.resolve("foreign.arrow");
    try (RootAllocator allocator = new RootAllocator(); VarCharVector words = new VarCharVector("words", allocator)) {
      words.allocateNew();
      words.setSafe(0, "a".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      words.setValueCount(1);
      org.apache.arrow.vector.dictionary.Dictionary dictionary = new org.apache.arrow.vector.dictionary.Dictionary(words,
          new org.apache.arrow.vector.types.pojo.DictionaryEncoding(1L, false, null));
      org.apache.arrow.vector.dictionary.DictionaryProvider.MapDictionaryProvider provider =
          new org.apache.arrow.vector.dictionary.DictionaryProvider.MapDictionaryProvider(dictionary);
      org.apache.arrow.vector.types.pojo.Field field = new org.apache.arrow.vector.types.pojo.Field("x",
          new org.apache.arrow.vector.types.pojo.FieldType(true, new org.apache.arrow.vector.types.pojo.ArrowType.Int(32, true),
              dictionary.getEncoding()), null);
      try (VectorSchemaRoot root = VectorSchemaRoot.create(new org.apache.arrow.vector.types.pojo.Schema(java.util.List.of(field)), allocator);
          FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          ArrowFileWriter writer = new ArrowFileWriter(root, provider, channel)) {
        org.apache.arrow.vector.IntVector x = (org.apache.arrow.vector.IntVector) root.getVector("x");
        x.allocateNew(1);
        x.set(0, 0);
        x.setValueCount(1);
        root.setRowCount(1);
        writer.start();
        writer.writeBatch();
        writer.end();
      }
    }
    try (RootAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> new RecordingReader(allocator, file)).isInstanceOf(IOException.class)
          .hasMessageStartingWith(file + " is an Arrow file but not an AlphaRL recording");
    }
  }

  /**
   * A commit whose progress value has a flipped bit still parses and passes every reader's check: only
   * the record's checksum tells it from the one recorded.
   */
  @Test
  void aFlippedByteThatStillParsesFailsTheRecordsChecksum() throws Exception {
    Path file = dir.resolve("run.arrow");
    byte[] commit = io.alpharl.proto.v1.StepCommitted.newBuilder().setSchemaVersion(1).setRunId("r").setStep(5).setProgressValue(0.625)
        .build().toByteArray();
    try (RootAllocator allocator = new RootAllocator(); RecordingWriter writer = new RecordingWriter(allocator, file)) {
      writer.add(new RecordEntry(RecordEntry.Kind.STEP, 5, "r", commit));
      writer.commit();
    }
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, file)) {
      assertThat(reader.checksummed()).isTrue();
      assertThat(reader.nextBatch()).singleElement().satisfies(e -> {
        assertThat(e.kind()).isEqualTo(RecordEntry.Kind.STEP);
        assertThat(e.value()).isEqualTo(commit);
      });
    }
    byte[] bytes = java.nio.file.Files.readAllBytes(file);
    int at = indexOf(bytes, commit);
    assertThat(indexOf(java.util.Arrays.copyOfRange(bytes, at + 1, bytes.length), commit)).isEqualTo(-1); // the value's one place
    bytes[at + commit.length - 1] ^= 0x01; // the double's last byte: 0.625 becomes another number, the message as well formed
    byte[] flipped = java.util.Arrays.copyOfRange(bytes, at, at + commit.length);
    assertThat(io.alpharl.proto.v1.StepCommitted.parseFrom(flipped).getProgressValue()).isNotEqualTo(0.625);
    java.nio.file.Files.write(file, bytes);
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, file)) {
      assertThatThrownBy(reader::nextBatch).isInstanceOf(IOException.class)
          .hasMessage(file + " is damaged at batch 1 (STEP record of step 5, r): record 0 does not match its checksum");
    }
  }

  /** Recordings made before records carried a checksum (the bundled run's among them) are read as they were. */
  @Test
  void aRecordingMadeBeforeChecksumsIsRead() throws Exception {
    Path file = writeOneRecord("before.arrow", RecordingSchema.UNCHECKED, RecordEntry.Kind.BASE_FILE, 0, "config.json", new byte[] {'{', '}'});
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, file)) {
      assertThat(reader.checksummed()).isFalse();
      assertThat(reader.nextBatch()).singleElement().satisfies(e -> {
        assertThat(e.key()).isEqualTo("config.json");
        assertThat(e.value()).isEqualTo(new byte[] {'{', '}'});
      });
    }
  }

  /** The checksum is CRC-32C of kind, step, key length and key, then value, as the schema says, computed here by hand. */
  @Test
  void theChecksumCoversTheKeysLengthSoBytesMovedAcrossCellsChangeIt() {
    java.util.zip.CRC32C expected = new java.util.zip.CRC32C();
    expected.update(new byte[] {3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 2, 'a', 'b', 'c'});
    int ab = RecordingSchema.crc(3, 7, java.nio.ByteBuffer.wrap(new byte[] {'a', 'b'}), java.nio.ByteBuffer.wrap(new byte[] {'c'}));
    int a = RecordingSchema.crc(3, 7, java.nio.ByteBuffer.wrap(new byte[] {'a'}), java.nio.ByteBuffer.wrap(new byte[] {'b', 'c'}));
    assertThat(ab).isEqualTo((int) expected.getValue());
    assertThat(a).isNotEqualTo(ab);
  }

  /** A file of one record written by hand with Arrow, as no RecordingWriter writes it: its value null where {@code value} is, no checksum set. */
  private Path writeOneRecord(String name, org.apache.arrow.vector.types.pojo.Schema schema, RecordEntry.Kind kind, long step, String key,
      byte[] value) throws IOException {
    Path file = dir.resolve(name);
    try (RootAllocator allocator = new RootAllocator(); VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      writer.start();
      ((TinyIntVector) root.getVector(RecordingSchema.KIND)).setSafe(0, kind.code());
      ((BigIntVector) root.getVector(RecordingSchema.STEP)).setSafe(0, step);
      ((VarCharVector) root.getVector(RecordingSchema.KEY)).setSafe(0, key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (value == null) {
        ((VarBinaryVector) root.getVector(RecordingSchema.VALUE)).setNull(0);
      } else {
        ((VarBinaryVector) root.getVector(RecordingSchema.VALUE)).setSafe(0, value);
      }
      root.setRowCount(1);
      writer.writeBatch();
      writer.end();
    }
    return file;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
