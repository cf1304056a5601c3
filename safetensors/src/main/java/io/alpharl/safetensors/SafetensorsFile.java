package io.alpharl.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One {@code .safetensors} file, memory-mapped read-only. {@link #open} validates the whole header
 * against the file before anything is read: header length, JSON, dtypes, shapes, and data offsets
 * that are in bounds, match each tensor's size, do not overlap and leave no hole, and a file
 * length that matches the last offset (so a truncated file is caught at open, not mid-read).
 *
 * <p>Owns its file channel; {@link #close} releases it. Mapped regions are released by the JVM
 * when unreachable. Safe for concurrent readers once opened.
 */
public final class SafetensorsFile implements AutoCloseable {
  private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
  private static final int BLOCK = 64 * 1024;
  // The reference reader (serde) refuses text after the header's object; so does this one.
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Bytes mapped at a time for a CRC: a mapping holds at most 2 GiB. */
  static final long CRC_WINDOW = 1L << 28;
  /** Elements a whole-tensor read maps at a time (1 GiB of f32). */
  static final int MAP_WINDOW_ELEMENTS = 1 << 28;

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorEntry> tensors;
  private final Map<String, BufferEntry> buffers;
  private final Map<String, String> others;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorEntry> tensors, Map<String, BufferEntry> buffers,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.buffers = buffers;
    Map<String, String> o = new TreeMap<>();
    buffers.forEach((name, b) -> o.put(name, b.dtype()));
    this.others = Collections.unmodifiableMap(o);
    this.metadata = metadata;
  }

  /** A tensor's place in the data section, whatever its dtype: the layout is checked for all of them. */
  private record Span(String name, long begin, long end, TensorEntry floats, String dtype, List<Long> shape) {}

  /**
   * A tensor name holding control characters, printable (each one as '?'); empty for a name
   * without. Names reach terminals, log lines and records: an escape sequence or a line break in
   * one forged what an operator saw, so this reader refuses them, and so do readers of manifests.
   */
  public static Optional<String> withControlCharacters(String name) {
    return name.chars().anyMatch(Character::isISOControl) ? Optional.of(name.replaceAll("\\p{Cc}", "?")) : Optional.empty();
  }

  /**
   * Opens and validates a file.
   *
   * @throws SafetensorsException naming the file and what is wrong with it
   */
  public static SafetensorsFile open(Path path) {
    if (Files.exists(path) && !Files.isRegularFile(path)) {
      // Opening a named pipe blocks until something writes to it: a shard swapped for one stalled the reader's thread for good.
      throw new SafetensorsException(path + ": not a regular file");
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new SafetensorsException(path + ": no such file", e); // the cause tells a file gone from one spoilt
    } catch (IOException e) {
      throw new SafetensorsException(path + ": cannot open: " + e.getMessage(), e);
    }
    try {
      long size = ch.size();
      Header header = header(path, ch, size);
      SafetensorsFile file = parse(path, ch, header.text(), header.dataStart(), size - header.dataStart());
      return file;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new SafetensorsException(path + ": cannot read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  /**
   * The {@code __metadata__} of a file's header, read without its tensors: a file whose data was cut
   * short (a write killed part way, under its temporary name) still says what it was written for.
   *
   * @throws SafetensorsException when the file has no such header
   */
  public static Map<String, String> headerMetadata(Path path) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      JsonNode node = headerJson(path, header(path, ch, ch.size()).text()).get("__metadata__");
      return node == null ? Map.of() : metadata(path, node);
    } catch (IOException e) {
      throw new SafetensorsException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The first 8 bytes of a git-lfs pointer file ("version https://git-lfs.github.com/spec/v1"). */
  private static final String LFS_POINTER_START = "version ";

  /** A file's header as text, and where its data begins. */
  private record Header(String text, long dataStart) {}

  /** The header: its 8-byte length, checked against the file's size, and the bytes it counts. */
  private static Header header(Path path, FileChannel ch, long size) throws IOException {
    if (size < 8) {
      throw new SafetensorsException(path + ": file is " + size + " bytes, too short for the 8-byte header length");
    }
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, len, 0);
    long headerLength = len.flip().getLong();
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
      if (new String(len.array(), StandardCharsets.US_ASCII).equals(LFS_POINTER_START)) {
        // A model cloned without git-lfs: each weights file is a text pointer of about 130 bytes.
        throw new SafetensorsException(path + ": is a git-lfs pointer (" + size + " bytes), not the weights: the model was cloned without"
            + " git-lfs; run `git lfs pull` in its folder, or download it with huggingface-cli");
      }
      throw new SafetensorsException(path + ": header length " + Long.toUnsignedString(headerLength)
          + " does not fit a file of " + size + " bytes");
    }
    ByteBuffer header = ByteBuffer.allocate((int) headerLength);
    readFully(ch, header, 8);
    return new Header(utf8(path, header.array()), 8 + headerLength);
  }

  /** The header as text; invalid UTF-8 is refused, not replaced (a name changed by the decoder would match no other file's). */
  private static String utf8(Path path, byte[] header) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(header)).toString();
    } catch (CharacterCodingException e) {
      throw new SafetensorsException(path + ": header is not valid UTF-8");
    }
  }

  private static JsonNode headerJson(Path path, String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new SafetensorsException(path + ": header is not valid JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new SafetensorsException(path + ": header is not a JSON object");
    }
    return root;
  }

  private static Map<String, String> metadata(Path path, JsonNode node) {
    if (!node.isObject()) {
      throw new SafetensorsException(path + ": __metadata__ is not an object of strings");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    node.fields().forEachRemaining(m -> {
      if (!m.getValue().isTextual()) {
        throw new SafetensorsException(path + ": __metadata__ value of '" + m.getKey() + "' is " + m.getValue() + ", not a string");
      }
      metadata.put(m.getKey(), m.getValue().asText());
    });
    return metadata;
  }

  /** Whether every surrogate of {@code s} is one of a pair, high then low. */
  static boolean isWellFormedUtf16(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static SafetensorsFile parse(Path path, FileChannel ch, String json, long dataStart, long dataBytes) {
    JsonNode root = headerJson(path, json);
    Map<String, String> metadata = new LinkedHashMap<>();
    List<Span> entries = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      JsonNode node = field.getValue();
      if (name.equals("__metadata__")) {
        metadata.putAll(metadata(path, node));
        continue;
      }
      Optional<String> shown = withControlCharacters(name);
      if (shown.isPresent()) {
        throw new SafetensorsException(path + ": tensor name " + shown.get() + " holds a control character");
      }
      if (!isWellFormedUtf16(name)) {
        // A JSON escape of half a surrogate pair (\\ud800) passes the header's UTF-8 check as ASCII; the reference parser refuses it, and
        // taken, the name became '?' on the wire (protobuf cannot encode it), another tensor's name than the file's.
        throw new SafetensorsException(path + ": tensor name " + name.chars().mapToObj(c -> Character.isSurrogate((char) c)
            ? String.format("\\u%04x", c) : String.valueOf((char) c)).collect(java.util.stream.Collectors.joining()) + " holds half a surrogate pair");
      }
      entries.add(entry(path, name, node));
    }
    entries.sort(Comparator.comparingLong(Span::begin).thenComparingLong(Span::end));
    long expected = 0;
    for (Span e : entries) {
      if (e.begin() != expected) {
        String what = e.begin() < expected ? "overlaps the tensor before it" : "leaves a hole of " + (e.begin() - expected) + " bytes before it";
        throw new SafetensorsException(path + ": tensor " + e.name() + " at bytes [" + e.begin() + ", " + e.end() + ") " + what);
      }
      expected = e.end();
    }
    if (expected != dataBytes) {
      String what = expected > dataBytes ? "truncated: the header needs " + expected + " data bytes, the file has " + dataBytes
          : "has " + (dataBytes - expected) + " bytes after the last tensor";
      throw new SafetensorsException(path + ": " + what);
    }
    Map<String, TensorEntry> byName = new LinkedHashMap<>();
    Map<String, BufferEntry> others = new TreeMap<>();
    entries.stream().sorted(Comparator.comparing(Span::name)).forEach(e -> {
      if (e.floats() != null) {
        byName.put(e.name(), e.floats());
      } else {
        others.put(e.name(), new BufferEntry(e.name(), e.dtype(), e.shape(), e.begin(), e.end()));
      }
    });
    return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(others),
        Collections.unmodifiableMap(metadata));
  }

  private static Span entry(Path path, String name, JsonNode node) {
    String where = path + ": tensor " + name;
    JsonNode dtype = node.get("dtype");
    JsonNode shape = node.get("shape");
    JsonNode offsets = node.get("data_offsets");
    if (dtype == null || !dtype.isTextual() || shape == null || !shape.isArray() || offsets == null || !offsets.isArray() || offsets.size() != 2) {
      throw new SafetensorsException(where + ": needs dtype (string), shape (array) and data_offsets ([begin, end])");
    }
    Optional<DType> type = DType.fromHeader(dtype.asText());
    int width = type.map(DType::bytes).orElseGet(() -> DType.otherWidth(dtype.asText(), name, path.toString()));
    List<Long> dims = new ArrayList<>();
    long elements = 1;
    for (JsonNode d : shape) {
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) { // 4.5 converts to a long too: 4
        throw new SafetensorsException(where + ": shape " + shape + " has an invalid dimension " + d);
      }
      dims.add(d.asLong());
      try {
        elements = Math.multiplyExact(elements, d.asLong());
      } catch (ArithmeticException e) {
        throw new SafetensorsException(where + ": shape " + shape + " is too large");
      }
    }
    // canConvertToLong: 2^64 would otherwise wrap to 0.
    long begin = offsets.get(0).isIntegralNumber() && offsets.get(0).canConvertToLong() ? offsets.get(0).asLong(-1) : -1;
    long end = offsets.get(1).isIntegralNumber() && offsets.get(1).canConvertToLong() ? offsets.get(1).asLong(-1) : -1;
    if (begin < 0 || end < begin) {
      throw new SafetensorsException(where + ": data_offsets " + offsets + " are not whole numbers with 0 <= begin <= end");
    }
    long bytes;
    try {
      bytes = Math.multiplyExact(elements, (long) width);
    } catch (ArithmeticException e) {
      throw new SafetensorsException(where + ": shape " + shape + " is too large");
    }
    if (end - begin != bytes) {
      throw new SafetensorsException(where + ": shape " + dims + " of " + dtype.asText() + " needs " + bytes + " bytes, data_offsets " + offsets
          + " give " + (end - begin));
    }
    return new Span(name, begin, end, type.filter(t -> !ComputedBuffers.is(name, dims)).map(t -> new TensorEntry(name, t, dims, begin, end)).orElse(null),
        dtype.asText(), dims);
  }

  public Path path() {
    return path;
  }

  /** Tensors by name, in name order. */
  public Map<String, TensorEntry> tensors() {
    return tensors;
  }

  /**
   * Integer and boolean tensors (buffers), by name: their dtype. Checked like the others at open,
   * never converted: they are not in {@link #tensors}. (F64 and 8-bit float weights are refused at open.)
   */
  public Map<String, String> otherTensors() {
    return others;
  }

  /** An integer or boolean tensor (a buffer) as the header describes it. */
  public BufferEntry buffer(String name) {
    BufferEntry b = buffers.get(name);
    if (b == null) {
      throw new SafetensorsException(path + ": no integer or boolean tensor named " + name);
    }
    return b;
  }

  /** A buffer's raw little-endian bytes, mapped read-only: copied as they are, never converted. */
  public ByteBuffer bufferBytes(String name) {
    BufferEntry b = buffer(name);
    return map(name, b.begin(), b.byteLength());
  }

  /** Whether the file holds a tensor of this name, of any dtype. */
  public boolean holds(String name) {
    return tensors.containsKey(name) || others.containsKey(name);
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public TensorEntry tensor(String name) {
    TensorEntry e = tensors.get(name);
    if (e == null) {
      if (others.containsKey(name)) {
        throw new SafetensorsException(path + ": tensor " + name + " is " + others.get(name) + ", not a float tensor this reader converts");
      }
      throw new SafetensorsException(path + ": no tensor named " + name);
    }
    return e;
  }

  /** The raw little-endian bytes of a tensor, mapped read-only. */
  public ByteBuffer raw(String name) {
    TensorEntry e = tensor(name);
    return map(name, e.begin(), e.byteLength());
  }

  private ByteBuffer map(String name, long begin, long byteLength) {
    if (byteLength > Integer.MAX_VALUE) {
      throw new SafetensorsException(path + ": tensor " + name + " has " + byteLength + " bytes; tensors over 2 GiB are not supported yet");
    }
    try {
      MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, byteLength);
      return map.order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException ex) {
      throw new SafetensorsException(path + ": cannot map tensor " + name + ": " + ex.getMessage(), ex);
    }
  }

  /**
   * Reads a tensor as f32 into {@code dst} from its position; advances the position by the
   * element count.
   */
  public void readFloats(String name, FloatBuffer dst) {
    readFloats(name, dst, MAP_WINDOW_ELEMENTS);
  }

  void readFloats(String name, FloatBuffer dst, int windowElements) {
    TensorEntry e = tensor(name);
    if (dst.remaining() < e.elementCount()) {
      throw new IllegalArgumentException(name + " has " + e.elementCount() + " elements, the buffer has room for " + dst.remaining());
    }
    // In mapped windows: one mapping cannot exceed 2 GiB, and a 70B model's bf16 embedding (or a 7B's in f32) does.
    long window = (long) windowElements * e.dtype().bytes();
    try {
      for (long at = 0; at < e.byteLength(); at += window) {
        decode(e.dtype(), map(name, e.begin() + at, Math.min(window, e.byteLength() - at)), dst);
      }
    } catch (InternalError fault) {
      throw cutShort(name, fault);
    }
  }

  /**
   * A mapped page past the file's end (the file cut short since it was opened: a trainer saving the
   * step again in place) faults, which the JVM throws as an InternalError that no caller's catch of
   * a damaged checkpoint took: a stack trace where a truncated file is one line.
   */
  private SafetensorsException cutShort(String name, InternalError fault) {
    return new SafetensorsException(path + ": cannot read tensor " + name + ": the file was cut short while it was read (now " + sizeOrUnknown()
        + " bytes)", fault);
  }

  private String sizeOrUnknown() {
    try {
      return Long.toString(channel.size());
    } catch (IOException e) {
      return "?";
    }
  }

  private static void decode(DType dtype, ByteBuffer raw, FloatBuffer dst) {
    switch (dtype) {
      case F32 -> dst.put(raw.asFloatBuffer());
      case BF16, F16 -> {
        // Bulk copies and a plain loop over arrays: the JIT vectorizes this, not per-element buffer calls.
        // A heap destination is written in place, without a staging copy.
        ShortBuffer s = raw.asShortBuffer();
        short[] bits = new short[Math.min(s.remaining(), BLOCK)];
        float[] values = dst.hasArray() ? null : new float[bits.length];
        boolean bf16 = dtype == DType.BF16;
        while (s.hasRemaining()) {
          int n = Math.min(s.remaining(), bits.length);
          s.get(bits, 0, n);
          float[] out = values != null ? values : dst.array();
          int at = values != null ? 0 : dst.arrayOffset() + dst.position();
          if (bf16) {
            HalfFloats.bf16sToFloats(bits, 0, out, at, n);
          } else {
            for (int i = 0; i < n; i++) {
              out[at + i] = HalfFloats.f16ToFloat(bits[i]);
            }
          }
          if (values != null) {
            dst.put(values, 0, n);
          } else {
            dst.position(dst.position() + n);
          }
        }
      }
    }
  }

  /**
   * Reads elements {@code [from, from + count)} of a tensor as f32 into {@code dst[offset..]}, with
   * positional reads rather than a mapping, so that a process streaming a large checkpoint keeps
   * only what it is working on in memory (the page cache holds the rest, and is not the process's).
   *
   * @throws SafetensorsException when the range lies outside the tensor or the file cannot be read
   *     (a checkpoint deleted while open stays readable on Linux; one truncated under us does not)
   */
  public void readFloats(String name, long from, float[] dst, int offset, int count) {
    TensorEntry e = tensor(name);
    if (from < 0 || count < 0 || from + count > e.elementCount()) {
      throw new SafetensorsException(path + ": elements [" + from + ", " + (from + count) + ") of " + name + " lie outside its "
          + e.elementCount());
    }
    int width = e.dtype().bytes();
    ByteBuffer bytes = ByteBuffer.allocate(count * width).order(ByteOrder.LITTLE_ENDIAN);
    try {
      readFully(channel, bytes, dataStart + e.begin() + from * width);
    } catch (IOException ex) {
      throw new SafetensorsException(path + ": cannot read " + name + ": " + ex.getMessage(), ex);
    }
    bytes.flip();
    switch (e.dtype()) {
      case F32 -> bytes.asFloatBuffer().get(dst, offset, count);
      case BF16 -> {
        short[] bits = new short[count];
        bytes.asShortBuffer().get(bits);
        HalfFloats.bf16sToFloats(bits, 0, dst, offset, count);
      }
      case F16 -> {
        ShortBuffer bits = bytes.asShortBuffer();
        for (int i = 0; i < count; i++) {
          dst[offset + i] = HalfFloats.f16ToFloat(bits.get(i));
        }
      }
    }
  }

  /**
   * CRC32C of a tensor's stored bytes: a fingerprint that tells whether two files hold the same
   * values, read in windows of {@link #CRC_WINDOW} bytes so that tensors over 2 GiB are covered too.
   */
  public int crc32c(String name) {
    return crc32c(name, CRC_WINDOW);
  }

  int crc32c(String name, long window) {
    TensorEntry e = tensor(name);
    CRC32C crc = new CRC32C();
    try {
      for (long at = 0; at < e.byteLength(); at += window) {
        long length = Math.min(window, e.byteLength() - at);
        crc.update(channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin() + at, length));
      }
    } catch (IOException ex) {
      throw new SafetensorsException(path + ": cannot read tensor " + name + ": " + ex.getMessage(), ex);
    } catch (InternalError fault) {
      throw cutShort(name, fault);
    }
    return (int) crc.getValue();
  }

  /** A tensor as a new f32 array. */
  public float[] floats(String name) {
    TensorEntry e = tensor(name);
    if (e.elementCount() > Integer.MAX_VALUE - 8) {
      throw new SafetensorsException(path + ": tensor " + name + " has " + e.elementCount() + " elements, too many for one array");
    }
    float[] out;
    try {
      out = new float[(int) e.elementCount()];
    } catch (OutOfMemoryError oom) {
      // One array's allocation failed (after a full collection) and nothing was half done: a clear error, not a stack trace.
      throw new SafetensorsException(path + ": tensor " + name + " needs " + e.elementCount() * Float.BYTES / (1 << 20) + " MiB of heap as f32,"
          + " more than is free under -Xmx" + Runtime.getRuntime().maxMemory() / (1 << 20) + "m");
    }
    readFloats(name, FloatBuffer.wrap(out));
    return out;
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }

  private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
    long pos = position;
    while (dst.hasRemaining()) {
      int n = ch.read(dst, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + pos);
      }
      pos += n;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing was written through it
    }
  }
}
