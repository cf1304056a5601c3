package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
  @TempDir
  Path dir;

  /** A name with a control character (a terminal escape, a line break) would reach terminals and log lines as written: refused. */
  /**
   * The layout other readers require, checked on the raw bytes (this module's reader is lenient: it
   * reads an unpadded header too): an 8-byte little-endian header length that is a multiple of 8, a
   * header that is a JSON object from its first byte, and data offsets from 0 without a gap to the
   * file's end. Names of odd lengths make the header's own length odd before its padding.
   */
  @Test
  void theHeaderIsPaddedToEightBytesAndTheDataFollowsWithoutAGap() throws Exception {
    for (String name : List.of("w", "ab", "abc", "layers.0.self_attn.q_proj.weight")) {
      java.nio.file.Path file = dir.resolve(name + ".safetensors");
      new SafetensorsWriter(Map.of("format", "pt")).add(name, DType.BF16, List.of(3L)).add(name + ".b", DType.F32, List.of(2L))
          .writeTo(file, Map.of(name, new float[] {1, 2, 3}, name + ".b", new float[] {4, 5}));
      byte[] bytes = java.nio.file.Files.readAllBytes(file);
      long headerLength = java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
      assertThat(headerLength % 8).as(name).isZero();
      assertThat(bytes[8]).as("a JSON object from its first byte").isEqualTo((byte) '{');
      com.fasterxml.jackson.databind.JsonNode header = new com.fasterxml.jackson.databind.ObjectMapper()
          .readTree(new String(bytes, 8, (int) headerLength, java.nio.charset.StandardCharsets.UTF_8).strip());
      long end = 0;
      for (String tensor : List.of(name, name + ".b")) {
        com.fasterxml.jackson.databind.JsonNode offsets = header.get(tensor).get("data_offsets");
        assertThat(offsets.get(0).asLong()).as("%s starts where the one before ends", tensor).isEqualTo(end);
        end = offsets.get(1).asLong();
      }
      assertThat(8 + headerLength + end).as("no bytes after the data").isEqualTo(bytes.length);
      assertThat(header.get("__metadata__").get("format").asText()).isEqualTo("pt");
    }
  }

  @Test
  void aTensorNameWithAControlCharacterIsRefused() throws IOException {
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter(Map.of()).add("layer.0\u001b[2Jq_proj.weight", DType.F32, List.of(2L)).writeTo(file, Map.of("layer.0\u001b[2Jq_proj.weight",
        new float[] {1, 2}));
    assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(SafetensorsException.class)
        .hasMessage(file + ": tensor name layer.0?[2Jq_proj.weight holds a control character");
  }

  /**
   * A JSON escape of half a surrogate pair is plain ASCII in the header and passed its UTF-8 check;
   * the name then became "x?" on the wire, another name than the file's. Refused, as the reference
   * parser refuses it; a whole pair (an emoji) is a name like any other.
   */
  @Test
  void aTensorNameWithHalfASurrogatePairIsRefused() throws IOException {
    Path file = dir.resolve("model.safetensors");
    byte[] header = "{\"x\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(8 + header.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(header.length).put(header).putFloat(1f);
    java.nio.file.Files.write(file, bytes.array());
    assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(SafetensorsException.class)
        .hasMessage(file + ": tensor name x\\ud800 holds half a surrogate pair");
    assertThat(SafetensorsFile.isWellFormedUtf16("layer.\ud83d\ude00.weight")).isTrue();
    assertThat(SafetensorsFile.isWellFormedUtf16("x\ude00\ud83d")).as("a pair in the wrong order").isFalse();
  }

  /**
   * A file cut short after it was opened (a trainer saving the step again in place) is a damaged
   * checkpoint in one line, never a fault: cut before a window is mapped, the mapping is refused; cut
   * between the mapping and its read (not made here: it takes a race), the page past the end faults,
   * which the reads turn into the same exception.
   */
  @Test
  void aFileCutShortAfterItWasOpenedIsADamagedCheckpointInOneLine() throws IOException {
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter(Map.of()).add("w", DType.F32, List.of(4096L)).writeTo(file, Map.of("w", new float[4096]));
    try (SafetensorsFile f = SafetensorsFile.open(file);
         java.nio.channels.FileChannel cut = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      cut.truncate(64);
      assertThatThrownBy(() -> f.floats("w")).isInstanceOf(SafetensorsException.class).hasMessageContaining("cannot map tensor w");
      assertThatThrownBy(() -> f.crc32c("w")).isInstanceOf(SafetensorsException.class).hasMessageContaining("cannot read tensor w");
    }
  }

  /** A named pipe in a shard's place (a trainer's folder is not ours) is refused at once, not waited on by the reader's one thread. */
  @Test
  @EnabledOnOs(OS.LINUX)
  void aNamedPipeIsRefusedNotOpened() throws Exception {
    Path fifo = dir.resolve("model-00001-of-00002.safetensors");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor()).isZero();
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(() -> SafetensorsFile.open(fifo))
        .isInstanceOf(SafetensorsException.class).hasMessage(fifo + ": not a regular file"));
  }

  @Test
  void aTensorsCrc32cIsThatOfItsLittleEndianBytesWhateverTheReadingWindow() throws IOException {
    float[] a = random(6 * 5, 1);
    float[] other = a.clone();
    other[17] = Math.nextUp(other[17]); // one bit of one value
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter(Map.of()).add("a", DType.F32, List.of(6L, 5L)).add("b", DType.F32, List.of(6L, 5L))
        .writeTo(file, Map.of("a", a, "b", other));
    java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(a.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float v : a) {
      bytes.putFloat(v);
    }
    java.util.zip.CRC32C expected = new java.util.zip.CRC32C();
    expected.update(bytes.array());

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.crc32c("a")).isEqualTo((int) expected.getValue());
      assertThat(f.crc32c("a", 7)).as("read in windows of 7 bytes").isEqualTo(f.crc32c("a"));
      assertThat(f.crc32c("b")).as("one bit apart").isNotEqualTo(f.crc32c("a"));
    }
  }

  @Test
  void writtenTensorsReadBackInEveryDtype() throws IOException {
    float[] a = random(6 * 5, 1);
    float[] b = random(7, 2);
    float[] c = random(3 * 4, 3);
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter(Map.of("format", "pt"))
        .add("a", DType.F32, List.of(6L, 5L))
        .add("b", DType.BF16, List.of(7L))
        .add("c", DType.F16, List.of(3L, 4L))
        .writeTo(file, Map.of("a", a, "b", b, "c", c));

    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors().keySet()).containsExactly("a", "b", "c");
      assertThat(f.metadata()).containsEntry("format", "pt");
      assertThat(f.tensor("a").shape()).containsExactly(6L, 5L);
      assertThat(f.floats("a")).containsExactly(a);
      float[] bRead = f.floats("b");
      float[] cRead = f.floats("c");
      for (int i = 0; i < b.length; i++) {
        assertThat(bRead[i]).isEqualTo(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(b[i])));
      }
      for (int i = 0; i < c.length; i++) {
        assertThat(cRead[i]).isEqualTo(HalfFloats.f16ToFloat(HalfFloats.floatToF16(c[i])));
      }
    }
    assertThat(Files.size(file)).isEqualTo(new SafetensorsWriter(Map.of("format", "pt"))
        .add("a", DType.F32, List.of(6L, 5L)).add("b", DType.BF16, List.of(7L)).add("c", DType.F16, List.of(3L, 4L)).fileBytes());
  }

  @Test
  void equalContentGivesEqualBytesWhateverTheOrderOfTheMetadataMap() throws IOException {
    java.util.Map<String, String> forward = new java.util.LinkedHashMap<>();
    java.util.Map<String, String> backward = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      forward.put("k" + i, "v" + i);
      backward.put("k" + (19 - i), "v" + (19 - i));
    }
    float[] a = random(12, 3);
    Path one = dir.resolve("one.safetensors");
    Path two = dir.resolve("two.safetensors");
    for (Path p : new Path[] {one, two}) {
      SafetensorsWriter w = new SafetensorsWriter(p == one ? forward : backward);
      w.add("a", DType.BF16, java.util.List.of(3L, 4L));
      w.writeTo(p, java.util.Map.of("a", a));
    }
    assertThat(Files.readAllBytes(one)).isEqualTo(Files.readAllBytes(two));
  }

  @Test
  void truncatedFileIsNamedAtOpen() throws IOException {
    Path file = validFile();
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 10));
    assertThatThrownBy(() -> SafetensorsFile.open(file))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("truncated: the header needs 48 data bytes, the file has 38");
  }

  @Test
  void headerLengthBeyondTheFile() throws IOException {
    Path file = dir.resolve("x.safetensors");
    Files.write(file, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("header length 1000 does not fit a file of 16 bytes");
  }

  /** A model cloned without git-lfs: the pointer's "version " was read as a header length of 2.3e18, which said nothing of why. */
  @Test
  void aGitLfsPointerIsSaidToBeOne() throws IOException {
    Path file = dir.resolve("model.safetensors");
    Files.writeString(file, "version https://git-lfs.github.com/spec/v1\noid sha256:4c5d0e2b\nsize 988097824\n");
    assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(SafetensorsException.class)
        .hasMessageContaining("is a git-lfs pointer").hasMessageContaining("git lfs pull");
  }

  @Test
  void overlappingTensors() throws IOException {
    Path file = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("tensor b at bytes [4, 12) overlaps the tensor before it");
  }

  @Test
  void holeBetweenTensors() throws IOException {
    Path file = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("leaves a hole of 4 bytes");
  }

  @Test
  void shapeDisagreeingWithTheByteRange() throws IOException {
    Path file = rawFile("{\"a\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,8]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("shape [2, 3] of BF16 needs 12 bytes, data_offsets [0,8] give 8");
  }

  /** A fractional dimension or offset was cut to a whole number (4.5 to 4), and the file then refused for the wrong reason. */
  @Test
  void fractionalDimensionsAndOffsetsAreRefusedAsSuch() throws IOException {
    Path shape = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[4.5,4],\"data_offsets\":[0,64]}}", 64);
    assertThatThrownBy(() -> SafetensorsFile.open(shape)).hasMessageContaining("shape [4.5,4] has an invalid dimension 4.5");
    Path offsets = rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}}", 8);
    assertThatThrownBy(() -> SafetensorsFile.open(offsets)).hasMessageContaining("are not whole numbers with 0 <= begin <= end");
  }

  @Test
  void weightsInAFloatDtypeThisReaderDoesNotConvertAreRefusedByName() throws IOException {
    Path file = rawFile("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("tensor a has dtype F8_E4M3; supported are F32, BF16 and F16");
  }

  /**
   * Older BERT-family saves keep an I64 position_ids buffer beside the float weights: one refused
   * the whole file (no base, no checkpoint of such a model could be read). Its layout is checked
   * like any tensor's, and it is listed apart, never converted.
   */
  @Test
  void tensorsOfOtherDtypesAreCheckedAndListedApart() throws IOException {
    Path file = rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"embeddings.position_ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[8,32]}}", 32);
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors()).containsOnlyKeys("w");
      assertThat(f.otherTensors()).containsExactly(Map.entry("embeddings.position_ids", "I64"));
      assertThat(f.floats("w")).containsExactly(0f, 0f);
      assertThatThrownBy(() -> f.floats("embeddings.position_ids")).isInstanceOf(SafetensorsException.class)
          .hasMessageContaining("tensor embeddings.position_ids is I64, not a float tensor this reader converts");
    }
    Path sharded = Files.createDirectories(dir.resolve("sharded"));
    Files.copy(file, sharded.resolve("model-00001-of-00001.safetensors"));
    Files.writeString(sharded.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\":{\"w\":\"model-00001-of-00001.safetensors\","
        + "\"embeddings.position_ids\":\"model-00001-of-00001.safetensors\"}}");
    try (Checkpoint c = Checkpoint.open(sharded)) {
      assertThat(c.tensors()).containsOnlyKeys("w");
      assertThat(c.otherTensors()).containsOnlyKeys("embeddings.position_ids");
    }
    Files.writeString(sharded.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\":{\"w\":\"model-00001-of-00001.safetensors\"}}");
    assertThatThrownBy(() -> Checkpoint.open(sharded)).hasMessageContaining("holds embeddings.position_ids, which model.safetensors.index.json"
        + " does not map to it");
    Path wrong = rawFile("{\"p\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12);
    assertThatThrownBy(() -> SafetensorsFile.open(wrong)).hasMessageContaining("shape [3] of I64 needs 24 bytes, data_offsets [0,12] give 12");
  }

  /** A checkpoint's integer tensor where the base's is a float one is said as such, not as a tensor the checkpoint lacks. */
  @Test
  void anIntegerTensorWhereTheBaseHasAFloatOneIsSaidAsSuch() throws IOException {
    Path baseDir = Files.createDirectories(dir.resolve("base"));
    Files.move(rawFile("{\"p\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12), baseDir.resolve(Checkpoint.SINGLE_FILE));
    Path ckptDir = Files.createDirectories(dir.resolve("ckpt-int"));
    Files.move(rawFile("{\"p\":{\"dtype\":\"I32\",\"shape\":[3],\"data_offsets\":[0,12]}}", 12), ckptDir.resolve(Checkpoint.SINGLE_FILE));
    try (Checkpoint base = Checkpoint.open(baseDir); Checkpoint ckpt = Checkpoint.open(ckptDir)) {
      assertThatThrownBy(() -> ckpt.sourcesFor(base)).isInstanceOf(SafetensorsException.class)
          .hasMessage(ckptDir + ": tensor p is I32, the base has it as F32");
    }
  }

  @Test
  void headerThatIsNotJson() throws IOException {
    Path file = rawFile("{\"a\":", 0);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessageContaining("header is not valid JSON");
  }

  @Test
  void shardedCheckpointMustAgreeWithItsIndex() throws IOException {
    Path ckpt = Files.createDirectories(dir.resolve("ckpt"));
    new SafetensorsWriter(Map.of()).add("x", DType.F32, List.of(2L)).writeTo(ckpt.resolve("model-00001-of-00002.safetensors"), Map.of("x", new float[] {1, 2}));
    new SafetensorsWriter(Map.of()).add("y", DType.F32, List.of(1L)).add("z", DType.F32, List.of(1L))
        .writeTo(ckpt.resolve("model-00002-of-00002.safetensors"), Map.of("y", new float[] {3}, "z", new float[] {4}));
    Files.writeString(ckpt.resolve(Checkpoint.INDEX_FILE),
        "{\"metadata\":{},\"weight_map\":{\"x\":\"model-00001-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\",\"z\":\"model-00002-of-00002.safetensors\"}}");
    try (Checkpoint c = Checkpoint.open(ckpt)) {
      assertThat(c.tensors().keySet()).containsExactly("x", "y", "z");
      assertThat(c.floats("z")).containsExactly(4f);
    }
    Files.writeString(ckpt.resolve(Checkpoint.INDEX_FILE),
        "{\"weight_map\":{\"x\":\"model-00001-of-00002.safetensors\",\"y\":\"model-00002-of-00002.safetensors\"}}");
    assertThatThrownBy(() -> Checkpoint.open(ckpt)).hasMessageContaining("holds z, which model.safetensors.index.json does not map to it");
  }

  /**
   * 16-bit values by their bytes as the format defines them (little-endian; bf16 the upper half of
   * an f32, f16 IEEE half), written by hand: a reader and writer that agreed on a wrong byte order
   * would pass a round trip through each other.
   */
  @Test
  void sixteenBitValuesAreTheBytesTheFormatDefines() throws IOException {
    byte[] data = {(byte) 0x80, 0x3F, 0x00, (byte) 0xC0, 0x00, 0x3C, (byte) 0xFF, 0x7B}; // bf16 1.0, -2.0; f16 1.0, 65504
    byte[] h = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]}}"
        .getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("by-hand.safetensors");
    Files.write(file, ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).put(data).array());
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.floats("b")).containsExactly(1.0f, -2.0f);
      assertThat(f.floats("h")).containsExactly(1.0f, 65504f);
    }
    Path written = dir.resolve("written.safetensors");
    new SafetensorsWriter(Map.of()).add("b", DType.BF16, List.of(2L)).add("h", DType.F16, List.of(2L))
        .writeTo(written, Map.of("b", new float[] {1.0f, -2.0f}, "h", new float[] {1.0f, 65504f}));
    byte[] all = Files.readAllBytes(written);
    assertThat(java.util.Arrays.copyOfRange(all, all.length - data.length, all.length)).as("the writer's data section").containsExactly(data);
  }

  @Test
  void aWholeTensorReadInMappedWindowsEqualsOneRead() throws IOException {
    float[] a = random(6 * 5, 1);
    float[] b = random(7, 2);
    float[] c = random(3 * 4, 3);
    Path file = dir.resolve("model.safetensors");
    new SafetensorsWriter(Map.of()).add("a", DType.F32, List.of(6L, 5L)).add("b", DType.BF16, List.of(7L)).add("c", DType.F16, List.of(3L, 4L))
        .writeTo(file, Map.of("a", a, "b", b, "c", c));
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (String name : List.of("a", "b", "c")) {
        float[] whole = f.floats(name);
        for (int window : new int[] {1, 3, 7, 1000}) {
          java.nio.FloatBuffer heap = java.nio.FloatBuffer.allocate(whole.length);
          f.readFloats(name, heap, window);
          assertThat(heap.array()).as("%s in windows of %d", name, window).containsExactly(whole);
          java.nio.FloatBuffer direct = ByteBuffer.allocateDirect(4 * whole.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
          f.readFloats(name, direct, window);
          float[] back = new float[whole.length];
          direct.flip().get(back);
          assertThat(back).as("%s off-heap in windows of %d", name, window).containsExactly(whole);
        }
      }
    }
  }

  @Test
  void aTensorLargerThanTheHeapIsAnErrorNotAnOutOfMemoryError() throws IOException {
    // 2e9 bf16 values, 4 GB of which the file holds none on disk (sparse): the agent streams such a tensor; an array of it needs 8 GB.
    String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[2000000000],\"data_offsets\":[0,4000000000]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    Path file = dir.resolve("huge.safetensors");
    try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
      raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
      raf.write(h);
      raf.setLength(8 + h.length + 4_000_000_000L);
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 8_000_000_000L, "a heap under 8 GB");
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThatThrownBy(() -> f.floats("w")).isInstanceOf(SafetensorsException.class).hasMessageContaining("needs 7629 MiB of heap as f32");
    }
  }

  @Test
  void headersTheReferenceReaderRefusesAreRefused() throws IOException {
    String w = "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    assertThatThrownBy(() -> SafetensorsFile.open(rawFile("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
        + "\"data_offsets\":[18446744073709551616,18446744073709551620]}}", 4)))
        .as("offsets of 2^64 and more, which wrap to [0, 4]").hasMessageContaining("are not whole numbers");
    assertThatThrownBy(() -> SafetensorsFile.open(rawFile("{" + w + "} xyz", 4))).hasMessageContaining("header is not valid JSON");
    assertThatThrownBy(() -> SafetensorsFile.open(rawFile("{\"__metadata__\":{\"format\":1}," + w + "}", 4)))
        .hasMessageContaining("__metadata__ value of 'format' is 1, not a string");
    byte[] h = ("{\"w\u00ff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}").getBytes(StandardCharsets.ISO_8859_1);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path latin1 = dir.resolve("latin1.safetensors");
    Files.write(latin1, b.array());
    assertThatThrownBy(() -> SafetensorsFile.open(latin1)).hasMessageContaining("header is not valid UTF-8");
    try (SafetensorsFile ok = SafetensorsFile.open(rawFile("{" + w + "}   ", 4))) {
      assertThat(ok.tensors()).as("space padding, as the Python writer aligns the header").containsKey("w");
    }
  }

  private Path validFile() {
    Path file = dir.resolve("v.safetensors");
    new SafetensorsWriter(Map.of()).add("w", DType.F32, List.of(3L, 4L)).writeTo(file, Map.of("w", random(12, 5)));
    return file;
  }

  private Path rawFile(String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    Path file = dir.resolve("raw.safetensors");
    Files.write(file, b.array());
    return file;
  }

  private static float[] random(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  /** A file cut short in its data still says its header's metadata, which a whole file's open refuses to read. */
  @Test
  void theHeadersMetadataReadsFromAFileCutShortInItsData() throws IOException {
    Path whole = dir.resolve("whole.safetensors");
    new SafetensorsWriter(Map.of("alpharl_run", "run-a")).add("w", DType.F32, List.of(256L)).writeTo(whole, Map.of("w", new float[256]));
    Path cut = dir.resolve("cut.safetensors");
    Files.write(cut, Arrays.copyOf(Files.readAllBytes(whole), (int) Files.size(whole) - 100));
    assertThatThrownBy(() -> SafetensorsFile.open(cut)).isInstanceOf(SafetensorsException.class);
    assertThat(SafetensorsFile.headerMetadata(cut)).containsEntry("alpharl_run", "run-a");
    Files.writeString(cut, "not one");
    assertThatThrownBy(() -> SafetensorsFile.headerMetadata(cut)).isInstanceOf(SafetensorsException.class);
  }
}
