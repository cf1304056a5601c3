package io.alpharl.proto.frame;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Schema of a run recording file: {@code kind: int8} ({@link RecordEntry.Kind} ordinal),
 * {@code step: int64}, {@code key: utf8}, {@code value: binary} (the Kafka value bytes), and
 * {@code crc32c: int32}, each record's checksum ({@link #crc}). Any Arrow library reads it; a delta
 * value is itself a frame whose payload is Arrow.
 *
 * <p>On Kafka a record batch carries a CRC; on disk nothing did: a byte flipped in a commit's progress
 * value, a manifest or a base model's config file parsed as well as the right one, and a replay sent a
 * silently different run. Recordings made before the checksum ({@link #UNCHECKED}) are still read.
 */
final class RecordingSchema {
  static final String KIND = "kind";
  static final String STEP = "step";
  static final String KEY = "key";
  static final String VALUE = "value";
  static final String CRC = "crc32c";

  private static final List<Field> RECORD = List.of(
      new Field(KIND, FieldType.notNullable(new ArrowType.Int(8, true)), null),
      new Field(STEP, FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field(KEY, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
      new Field(VALUE, FieldType.notNullable(ArrowType.Binary.INSTANCE), null));

  /** What {@link RecordingWriter} writes. */
  static final Schema SCHEMA = new Schema(
      java.util.stream.Stream.concat(RECORD.stream(), java.util.stream.Stream.of(new Field(CRC, FieldType.notNullable(new ArrowType.Int(32, true)), null)))
          .toList());

  /** Recordings made before records carried a checksum. */
  static final Schema UNCHECKED = new Schema(RECORD);

  /**
   * CRC-32C of a record: its kind (one byte), step (eight bytes, big-endian), the key's UTF-8 length
   * (four bytes, big-endian) and bytes, then the value's bytes. The key's length is in it so that
   * bytes moved from the end of a key to the start of its value change the sum.
   */
  static int crc(int kind, long step, ByteBuffer key, ByteBuffer value) {
    CRC32C crc = new CRC32C();
    ByteBuffer head = ByteBuffer.allocate(1 + Long.BYTES + Integer.BYTES);
    head.put((byte) kind).putLong(step).putInt(key.remaining()).flip();
    crc.update(head);
    crc.update(key);
    crc.update(value);
    return (int) crc.getValue();
  }

  private RecordingSchema() {}
}
