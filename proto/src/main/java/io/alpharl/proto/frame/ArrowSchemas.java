package io.alpharl.proto.frame;

import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The two Arrow schemas of a chunk payload. Dense: {@code value: float32}. Sparse: {@code index:
 * int32} (offset inside the chunk, strictly increasing) and {@code value: float32}. Neither has
 * nulls; any Arrow library reads them.
 */
final class ArrowSchemas {
  static final String VALUE = "value";
  static final String INDEX = "index";

  private static final Field VALUE_FIELD =
      new Field(VALUE, new FieldType(false, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), null), null);
  private static final Field INDEX_FIELD =
      new Field(INDEX, new FieldType(false, new ArrowType.Int(32, true), null), null);

  static final Schema DENSE = new Schema(List.of(VALUE_FIELD));
  static final Schema SPARSE = new Schema(List.of(INDEX_FIELD, VALUE_FIELD));

  private ArrowSchemas() {}
}
