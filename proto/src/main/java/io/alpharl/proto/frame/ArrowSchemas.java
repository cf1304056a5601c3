package io.alpharl.proto.frame;

import java.util.List;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow schemas of a chunk payload. Dense: {@code value: float32}. Sparse: {@code index:
 * int32} (offset inside the chunk, strictly increasing) and {@code value: float32}. With a 16-bit
 * wire dtype (bf16 or f16, named by the header's {@code value_dtype}; Arrow has no bf16 type) the
 * value column is {@code value_bits: int16} holding the raw bits. None has nulls; any Arrow
 * library reads them.
 */
final class ArrowSchemas {
  static final String VALUE = "value";
  static final String INDEX = "index";
  static final String VALUE_BITS = "value_bits";

  private static final Field VALUE_FIELD =
      new Field(VALUE, new FieldType(false, new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE), null), null);
  private static final Field INDEX_FIELD =
      new Field(INDEX, new FieldType(false, new ArrowType.Int(32, true), null), null);

  private static final Field BITS_FIELD =
      new Field(VALUE_BITS, new FieldType(false, new ArrowType.Int(16, true), null), null);

  static final Schema DENSE = new Schema(List.of(VALUE_FIELD));
  static final Schema SPARSE = new Schema(List.of(INDEX_FIELD, VALUE_FIELD));
  static final Schema DENSE_16 = new Schema(List.of(BITS_FIELD));
  static final Schema SPARSE_16 = new Schema(List.of(INDEX_FIELD, BITS_FIELD));

  static Schema of(boolean sparse, boolean sixteenBit) {
    return sparse ? (sixteenBit ? SPARSE_16 : SPARSE) : (sixteenBit ? DENSE_16 : DENSE);
  }

  private ArrowSchemas() {}
}
