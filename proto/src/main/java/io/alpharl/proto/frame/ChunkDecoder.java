package io.alpharl.proto.frame;

import io.alpharl.proto.v1.ChunkEncoding;
import io.alpharl.proto.v1.DeltaChunkHeader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads a frame's Arrow payload into a {@link DecodedChunk} and checks it against its header:
 * schema, exactly one batch, value count, sparse indices strictly increasing and in range, and no
 * NaN or infinity.
 *
 * <p>Owns a child allocator of the caller's; every Arrow buffer it reads is released before
 * {@link #decode} returns, and {@link #close} releases the allocator. Not thread-safe.
 */
public final class ChunkDecoder implements AutoCloseable {
  private final BufferAllocator allocator;

  public ChunkDecoder(BufferAllocator parent) {
    this.allocator = parent.newChildAllocator("chunk-decoder", 0, Long.MAX_VALUE);
  }

  /**
   * @throws FrameException {@link FrameError#CORRUPT_FRAME} for an unreadable or unexpected payload,
   *     {@link FrameError#SHAPE_MISMATCH} when the batch's row count differs from the header,
   *     {@link FrameError#NON_FINITE_VALUE} naming the first bad element
   */
  public DecodedChunk decode(DeltaFrame frame) {
    DeltaChunkHeader h = frame.header();
    String where = h.getTensorName() + " step " + h.getStep() + " chunk " + h.getChunkIndex();
    boolean sparse = h.getEncoding() == ChunkEncoding.CHUNK_ENCODING_SPARSE;
    WireDtype wire = WireDtype.of(h.getValueDtype());
    Schema expected = ArrowSchemas.of(sparse, wire.sixteenBit());
    try (ArrowStreamReader reader = new ArrowStreamReader(
        new ByteArrayInputStream(frame.bytes(), frame.payloadOffset(), frame.payloadLength()), allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      if (!root.getSchema().equals(expected)) {
        throw new FrameException(FrameError.CORRUPT_FRAME, where + ": payload schema " + root.getSchema() + ", expected " + expected);
      }
      if (!reader.loadNextBatch()) {
        throw new FrameException(FrameError.CORRUPT_FRAME, where + ": payload has no record batch");
      }
      int rows = root.getRowCount();
      if (rows != h.getValueCount()) {
        throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": payload has " + rows + " values, the header says " + h.getValueCount());
      }
      float[] values = wire.sixteenBit()
          ? readBits((SmallIntVector) root.getVector(ArrowSchemas.VALUE_BITS), rows, wire, where)
          : readFloats((Float4Vector) root.getVector(ArrowSchemas.VALUE), rows, where);
      int[] indices = sparse ? readIndices((IntVector) root.getVector(ArrowSchemas.INDEX), rows, h.getElementCount(), where) : null;
      if (reader.loadNextBatch()) {
        throw new FrameException(FrameError.CORRUPT_FRAME, where + ": payload has more than one record batch");
      }
      checkFinite(values, indices, h.getElementOffset(), where);
      return new DecodedChunk(h, indices, values);
    } catch (IOException | RuntimeException e) {
      if (e instanceof FrameException fe) {
        throw fe;
      }
      throw new FrameException(FrameError.CORRUPT_FRAME, where + ": Arrow payload unreadable: " + e.getMessage(), e);
    }
  }

  private static float[] readFloats(Float4Vector vector, int n, String where) {
    requireNoNulls(vector, where);
    float[] out = new float[n];
    if (n > 0) {
      vector.getDataBuffer().nioBuffer(0, n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    }
    return out;
  }

  private static float[] readBits(SmallIntVector vector, int n, WireDtype wire, String where) {
    requireNoNulls(vector, where);
    float[] out = new float[n];
    if (n > 0) {
      ShortBuffer bits = vector.getDataBuffer().nioBuffer(0, n * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
      for (int i = 0; i < n; i++) {
        out[i] = wire.fromBits(bits.get(i));
      }
    }
    return out;
  }

  private static int[] readIndices(IntVector vector, int n, long elementCount, String where) {
    requireNoNulls(vector, where);
    int[] out = new int[n];
    if (n > 0) {
      vector.getDataBuffer().nioBuffer(0, n * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
    }
    int previous = -1;
    for (int i = 0; i < n; i++) {
      if (out[i] <= previous || out[i] >= elementCount) {
        throw new FrameException(FrameError.CORRUPT_FRAME, where + ": sparse index " + out[i] + " at position " + i
            + " is not strictly increasing within [0, " + elementCount + ")");
      }
      previous = out[i];
    }
    return out;
  }

  private static void requireNoNulls(FieldVector vector, String where) {
    if (vector.getNullCount() != 0) {
      throw new FrameException(FrameError.CORRUPT_FRAME, where + ": column " + vector.getName() + " has " + vector.getNullCount() + " nulls");
    }
  }

  private static void checkFinite(float[] values, int[] indices, long elementOffset, String where) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        long element = elementOffset + (indices == null ? i : indices[i]);
        throw new FrameException(FrameError.NON_FINITE_VALUE, where + ": element " + element + " is " + values[i]);
      }
    }
  }

  @Override
  public void close() {
    allocator.close();
  }
}
