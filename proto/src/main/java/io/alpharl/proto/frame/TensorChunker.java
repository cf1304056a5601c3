package io.alpharl.proto.frame;

import io.alpharl.proto.v1.ChunkEncoding;
import io.alpharl.proto.v1.DeltaChunkHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;

/**
 * Cuts one tensor's delta into frames, each a self-contained Arrow IPC stream of one record batch
 * behind a checked header (see {@link FrameEnvelope}). Chunk boundaries depend only on the shape
 * and the {@link ChunkingConfig}, never on the values, so every step of a tensor has the same
 * chunk count; whether a chunk is dense or sparse is chosen per chunk from its values.
 *
 * <p>Owns a child allocator of the caller's allocator and two reused {@link VectorSchemaRoot}s;
 * {@link #close} releases them. Not thread-safe: use one chunker per sending thread.
 */
public final class TensorChunker implements AutoCloseable {
  private final ChunkingConfig config;
  private final BufferAllocator allocator;
  private final VectorSchemaRoot dense;
  private final VectorSchemaRoot sparse;
  private final VectorSchemaRoot dense16;
  private final VectorSchemaRoot sparse16;
  private final PayloadBuffer payload = new PayloadBuffer();
  private int[] sparseIndex = new int[0];
  private float[] sparseValue = new float[0];

  /** @param parent the process's allocator; this chunker takes a named child of it */
  public TensorChunker(BufferAllocator parent, ChunkingConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.allocator = parent.newChildAllocator("tensor-chunker", 0, Long.MAX_VALUE);
    this.dense = VectorSchemaRoot.create(ArrowSchemas.DENSE, allocator);
    this.sparse = VectorSchemaRoot.create(ArrowSchemas.SPARSE, allocator);
    this.dense16 = VectorSchemaRoot.create(ArrowSchemas.DENSE_16, allocator);
    this.sparse16 = VectorSchemaRoot.create(ArrowSchemas.SPARSE_16, allocator);
  }

  /** {@link #split(TensorRef, FloatBuffer, WireDtype, Consumer)} in f32. */
  public int split(TensorRef tensor, FloatBuffer values, Consumer<DeltaFrame> sink) {
    return split(tensor, values, WireDtype.F32, sink);
  }

  /**
   * Sends every chunk of {@code values} to {@code sink}, in chunk order.
   *
   * @param values the whole delta in row-major order, from its position to its limit; not modified
   *     (its position is left as it was). With a 16-bit {@code wire} dtype each value is rounded to
   *     it; callers that keep error feedback round first ({@link WireDtype#round}) so nothing is lost
   *     here.
   * @return the number of frames sent
   * @throws IllegalArgumentException if the value count differs from the shape's element count
   */
  public int split(TensorRef tensor, FloatBuffer values, WireDtype wire, Consumer<DeltaFrame> sink) {
    long elements = tensor.elementCount();
    if (values.remaining() != elements) {
      throw new IllegalArgumentException(tensor.tensorName() + ": shape " + tensor.shape() + " has " + elements
          + " elements, the buffer holds " + values.remaining());
    }
    Plan plan = plan(tensor);
    int base = values.position();
    for (int c = 0; c < plan.chunkCount(); c++) {
      FloatBuffer chunk = values.duplicate();
      chunk.position(base + (int) plan.from(c)).limit(base + (int) plan.from(c) + plan.count(c));
      sink.accept(chunk(tensor, plan, c, chunk.slice(), wire));
    }
    return plan.chunkCount();
  }

  /**
   * Where a tensor's chunks begin and end: a function of its shape and the chunking settings alone,
   * so a sender can produce one chunk at a time without holding the tensor.
   */
  public record Plan(long elements, long perChunk, int chunkCount) {
    /** First element of chunk {@code c}. */
    public long from(int c) {
      return c * perChunk;
    }

    /** Elements of chunk {@code c}. */
    public int count(int c) {
      return (int) Math.min(perChunk, elements - from(c));
    }
  }

  public Plan plan(TensorRef tensor) {
    long elements = tensor.elementCount();
    long perChunk = config.elementsPerChunk(Shapes.rowLength(tensor.shape()));
    return new Plan(elements, perChunk, (int) Math.max(1, (elements + perChunk - 1) / perChunk));
  }

  /**
   * The frame of chunk {@code c} of a tensor's delta.
   *
   * @param values the chunk's {@code plan.count(c)} values, from position to limit; not modified
   */
  public DeltaFrame chunk(TensorRef tensor, Plan plan, int c, FloatBuffer values, WireDtype wire) {
    return encode(header(tensor, plan, c, values, wire), values.duplicate(), wire);
  }

  /**
   * The frame of chunk {@code c} of a tensor's running sum S_t (a keyframe for {@code alpharl.sums}):
   * in f32, which S is, so that a reader starting from it gets the bits it would have summed; no
   * previous step, since it does not follow one but stands for every step through its own.
   *
   * @param values the chunk's {@code plan.count(c)} values of S_t, from position to limit; not modified
   */
  public DeltaFrame runningSum(TensorRef tensor, Plan plan, int c, FloatBuffer values) {
    DeltaChunkHeader.Builder header = header(tensor.following(TensorRef.NO_PREVIOUS_STEP), plan, c, values, WireDtype.F32).setRunningSum(true);
    return encode(header, values.duplicate(), WireDtype.F32);
  }

  private static DeltaChunkHeader.Builder header(TensorRef tensor, Plan plan, int c, FloatBuffer values, WireDtype wire) {
    if (values.remaining() != plan.count(c)) {
      throw new IllegalArgumentException(tensor.tensorName() + " chunk " + c + " has " + plan.count(c) + " elements, the buffer holds "
          + values.remaining());
    }
    DeltaChunkHeader.Builder header = tensor.header()
        .setChunkCount(plan.chunkCount())
        .setValueDtype(wire.proto())
        .setChunkIndex(c)
        .setElementOffset(plan.from(c))
        .setElementCount(plan.count(c));
    if (tensor.previousStep() != TensorRef.NO_PREVIOUS_STEP) {
      header.setPreviousStep(tensor.previousStep());
    }
    return header;
  }

  private DeltaFrame encode(DeltaChunkHeader.Builder header, FloatBuffer chunk, WireDtype wire) {
    int count = chunk.remaining();
    int nonZeros = collectNonZeros(chunk, wire);
    boolean useSparse = nonZeros <= config.sparseMaxDensity() * count;
    VectorSchemaRoot root;
    if (useSparse) {
      root = wire.sixteenBit() ? sparse16 : sparse;
      IntVector index = (IntVector) root.getVector(ArrowSchemas.INDEX);
      fill(index, nonZeros).asIntBuffer().put(sparseIndex, 0, nonZeros);
      if (wire.sixteenBit()) {
        ShortBuffer bits = fill((SmallIntVector) root.getVector(ArrowSchemas.VALUE_BITS), nonZeros).asShortBuffer();
        for (int i = 0; i < nonZeros; i++) {
          bits.put(wire.toBits(sparseValue[i]));
        }
      } else {
        fill((Float4Vector) root.getVector(ArrowSchemas.VALUE), nonZeros).asFloatBuffer().put(sparseValue, 0, nonZeros);
      }
      root.setRowCount(nonZeros);
      header.setEncoding(ChunkEncoding.CHUNK_ENCODING_SPARSE).setValueCount(nonZeros);
    } else {
      root = wire.sixteenBit() ? dense16 : dense;
      if (wire.sixteenBit()) {
        ShortBuffer bits = fill((SmallIntVector) root.getVector(ArrowSchemas.VALUE_BITS), count).asShortBuffer();
        for (int i = 0; i < count; i++) {
          bits.put(wire.toBits(chunk.get(chunk.position() + i)));
        }
      } else {
        fill((Float4Vector) root.getVector(ArrowSchemas.VALUE), count).asFloatBuffer().put(chunk);
      }
      root.setRowCount(count);
      header.setEncoding(ChunkEncoding.CHUNK_ENCODING_DENSE).setValueCount(count);
    }
    payload.reset();
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, payload)) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write Arrow payload of " + header.getTensorName(), e);
    }
    return FrameEnvelope.wrap(header, payload.array(), payload.size());
  }

  /**
   * Fills the sparse scratch arrays; a value counts as changed when any bit of it is set on the
   * wire (-0.0 too).
   */
  private int collectNonZeros(FloatBuffer chunk, WireDtype wire) {
    int count = chunk.remaining();
    if (sparseIndex.length < count) {
      sparseIndex = new int[count];
      sparseValue = new float[count];
    }
    int limit = (int) (config.sparseMaxDensity() * count);
    int n = 0;
    for (int i = 0; i < count; i++) {
      float v = chunk.get(chunk.position() + i);
      if (wire.sixteenBit() ? wire.toBits(v) != 0 : Float.floatToRawIntBits(v) != 0) {
        if (n >= limit) {
          return count; // too dense for sparse: stop scanning early
        }
        sparseIndex[n] = i;
        sparseValue[n] = v;
        n++;
      }
    }
    return n;
  }

  /** Allocates {@code vector} for {@code n} non-null values and returns its data as a little-endian view. */
  private static ByteBuffer fill(BaseFixedWidthVector vector, int n) {
    vector.allocateNew(Math.max(n, 1));
    ArrowBuf validity = vector.getValidityBuffer();
    validity.setOne(0, validity.capacity());
    vector.setValueCount(n);
    return vector.getDataBuffer().nioBuffer(0, n * vector.getTypeWidth()).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public void close() {
    dense.close();
    sparse.close();
    dense16.close();
    sparse16.close();
    allocator.close();
  }

  /** Reused output buffer whose backing array is read without a copy. */
  private static final class PayloadBuffer extends ByteArrayOutputStream {
    PayloadBuffer() {
      super(64 * 1024);
    }

    byte[] array() {
      return buf;
    }
  }
}
