package io.alpharl.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes one safetensors file. Tensors are declared first ({@link #add}), then their data is
 * streamed in declaration order by a {@link TensorSource}, converted from f32 to each tensor's
 * dtype. The file is written under a temporary name and moved into place when complete, so a
 * reader never sees a partial file.
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int BLOCK_FLOATS = 64 * 1024;
  private static final ThreadLocal<float[]> scratchFloats = ThreadLocal.withInitial(() -> new float[BLOCK_FLOATS]);
  private static final ThreadLocal<short[]> scratchShorts = ThreadLocal.withInitial(() -> new short[BLOCK_FLOATS]);

  /** Supplies a tensor's values as f32, in row-major order. */
  @FunctionalInterface
  public interface TensorSource {
    /** Writes the values of {@code name} (exactly its element count) to {@code sink}. */
    void write(String name, FloatSink sink) throws IOException;
  }

  /** Receives f32 values in order. */
  @FunctionalInterface
  public interface FloatSink {
    void put(FloatBuffer values) throws IOException;
  }

  /**
   * A declared tensor: a float one streamed from the source ({@code floats}), or a buffer whose
   * bytes are given ({@code raw}). Also what {@link ShardedCheckpointWriter} holds until it shards.
   */
  record Declared(String name, String dtype, List<Long> shape, long bytes, DType floats, ByteBuffer raw) {
    static Declared floats(String name, DType dtype, List<Long> shape) {
      Objects.requireNonNull(name);
      return new Declared(name, dtype.name(), List.copyOf(shape), elements(shape) * dtype.bytes(), dtype, null);
    }

    /** @throws IllegalArgumentException when {@code bytes} do not hold exactly the shape's elements of that dtype */
    static Declared buffer(String name, String dtype, List<Long> shape, ByteBuffer bytes) {
      Objects.requireNonNull(name);
      // A float buffer too (RoPE's inv_freq, GPT-2's causal masks, which old bases hold): taken for an unknown dtype, every model
      // written from such a base failed, and the extrapolator retried it for good.
      long expected = elements(shape) * DType.fromHeader(dtype).map(DType::bytes).orElseGet(() -> DType.otherWidth(dtype, name, "a written file"));
      if (bytes.remaining() != expected) {
        throw new IllegalArgumentException(name + ": " + bytes.remaining() + " bytes given, shape " + shape + " of " + dtype + " needs " + expected);
      }
      return new Declared(name, dtype, List.copyOf(shape), expected, null, bytes.duplicate());
    }
  }

  private final List<Declared> declared = new ArrayList<>();
  private final Map<String, String> metadata;

  public SafetensorsWriter(Map<String, String> metadata) {
    // Sorted: the header is then the same bytes whatever map the caller built (Map.of iterates in
    // an order that changes from one JVM to the next), so equal models are equal files.
    this.metadata = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(metadata));
  }

  public SafetensorsWriter add(String name, DType dtype, List<Long> shape) {
    return add(Declared.floats(name, dtype, shape));
  }

  SafetensorsWriter add(Declared d) {
    declared.add(d);
    return this;
  }

  /**
   * Declares an integer or boolean tensor (a buffer) written as the given bytes, unconverted.
   *
   * @throws IllegalArgumentException when {@code bytes} do not hold exactly the shape's elements of that dtype
   */
  public SafetensorsWriter addBytes(String name, String dtype, List<Long> shape, ByteBuffer bytes) {
    return add(Declared.buffer(name, dtype, shape, bytes));
  }

  /** Bytes the file will have. */
  public long fileBytes() {
    return 8 + headerBytes().length + dataBytes();
  }

  private long dataBytes() {
    long n = 0;
    for (Declared d : declared) {
      n += d.bytes();
    }
    return n;
  }

  private byte[] headerBytes() {
    ObjectNode root = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = root.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Declared d : declared) {
      ObjectNode t = root.putObject(d.name());
      t.put("dtype", d.dtype());
      ArrayNode shape = t.putArray("shape");
      d.shape().forEach(shape::add);
      t.putArray("data_offsets").add(offset).add(offset + d.bytes());
      offset += d.bytes();
    }
    byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8; // 8-byte alignment of the data section, as the reference writer does
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      out[i] = ' ';
    }
    return out;
  }

  /**
   * Opens {@code file} to be filled range by range in any order, from the tensors declared so far
   * (the header is written now). The caller closes it.
   */
  public SafetensorsFill fill(Path file) throws IOException {
    return new SafetensorsFill(file, headerBytes(), declared);
  }

  /** Where a file is written until it is whole. */
  static Path tmpOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".tmp");
  }

  /** Writes the file; {@code source} is asked for each declared float tensor in order. */
  public void writeTo(Path file, TensorSource source) throws IOException {
    Path tmp = tmpOf(file);
    byte[] header = headerBytes();
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      writeHeader(ch, header);
      ByteBuffer block = ByteBuffer.allocateDirect(BLOCK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (Declared d : declared) {
        if (d.raw() != null) {
          writeFully(ch, d.raw().duplicate());
          continue;
        }
        long[] written = {0};
        source.write(d.name(), values -> {
          written[0] += values.remaining();
          encode(values, d.floats(), block, ch);
        });
        long expected = elements(d.shape());
        if (written[0] != expected) {
          throw new IllegalStateException(d.name() + ": source wrote " + written[0] + " values, the shape " + d.shape() + " has " + expected);
        }
      }
      ch.force(false);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    moveIntoPlace(tmp, file);
  }

  /** The header's 8-byte length, then the header, where the channel stands (its start). */
  static void writeHeader(FileChannel ch, byte[] header) throws IOException {
    writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip());
    writeFully(ch, ByteBuffer.wrap(header));
  }

  /** Puts a whole file, made durable under its temporary name, under its own in one step: a reader never sees part of it. */
  static void moveIntoPlace(Path tmp, Path file) throws IOException {
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Convenience: writes in-memory tensors (name to f32 values) with the declared dtypes. */
  public void writeTo(Path file, Map<String, float[]> values) {
    try {
      writeTo(file, (name, sink) -> sink.put(FloatBuffer.wrap(values.get(name))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void encode(FloatBuffer values, DType dtype, ByteBuffer block, FileChannel ch) throws IOException {
    FloatBuffer src = values.duplicate();
    while (src.hasRemaining()) {
      block.clear();
      int n = Math.min(src.remaining(), BLOCK_FLOATS);
      switch (dtype) {
        case F32 -> {
          FloatBuffer part = src.slice();
          part.limit(n);
          block.asFloatBuffer().put(part);
          block.position(n * 4);
          src.position(src.position() + n);
        }
        case BF16, F16 -> {
          // Convert array to array, then one bulk put: per-element buffer calls were the write
          // path's cost. A heap buffer is converted in place, without a copy first.
          float[] in;
          int from;
          if (src.hasArray()) {
            in = src.array();
            from = src.arrayOffset() + src.position();
            src.position(src.position() + n);
          } else {
            in = scratchFloats.get();
            from = 0;
            src.get(in, 0, n);
          }
          short[] out = scratchShorts.get();
          if (dtype == DType.BF16) {
            HalfFloats.floatsToBf16(in, from, out, 0, n);
          } else {
            for (int i = 0; i < n; i++) {
              out[i] = HalfFloats.floatToF16(in[from + i]);
            }
          }
          block.asShortBuffer().put(out, 0, n);
          block.position(n * 2);
        }
      }
      block.flip();
      writeFully(ch, block);
    }
  }

  static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  static long elements(List<Long> shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }
}
