package io.alpharl.proto.frame;

import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Schema of a run recording file: {@code kind: int8} ({@link RecordEntry.Kind} ordinal),
 * {@code step: int64}, {@code key: utf8}, {@code value: binary} (the Kafka value bytes).
 * Any Arrow library reads it; a delta value is itself a frame whose payload is Arrow.
 */
final class RecordingSchema {
  static final String KIND = "kind";
  static final String STEP = "step";
  static final String KEY = "key";
  static final String VALUE = "value";

  static final Schema SCHEMA = new Schema(List.of(
      new Field(KIND, FieldType.notNullable(new ArrowType.Int(8, true)), null),
      new Field(STEP, FieldType.notNullable(new ArrowType.Int(64, true)), null),
      new Field(KEY, FieldType.notNullable(ArrowType.Utf8.INSTANCE), null),
      new Field(VALUE, FieldType.notNullable(ArrowType.Binary.INSTANCE), null)));

  private RecordingSchema() {}
}
