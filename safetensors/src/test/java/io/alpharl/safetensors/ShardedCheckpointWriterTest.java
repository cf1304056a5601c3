package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedCheckpointWriterTest {
  @TempDir
  Path dir;

  @Test
  void largeModelsAreShardedWithAnIndexThatTheReaderAccepts() throws Exception {
    ShardedCheckpointWriter w = new ShardedCheckpointWriter(1000, Map.of("format", "pt"));
    for (int i = 0; i < 5; i++) {
      w.add("t" + i, DType.BF16, List.of(10L, 20L)); // 400 bytes each: two per shard
    }
    w.add("big", DType.F32, List.of(30L, 20L)); // 2400 bytes: a shard of its own
    List<Path> files = w.writeTo(dir, (name, sink) -> {
      int n = name.equals("big") ? 600 : 200;
      float[] v = new float[n];
      for (int k = 0; k < n; k++) {
        v[k] = name.hashCode() % 7 + k;
      }
      sink.put(FloatBuffer.wrap(v));
    });
    assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly(
        "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors",
        "model-00004-of-00004.safetensors", Checkpoint.INDEX_FILE);
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertThat(c.tensors().keySet()).containsExactlyInAnyOrder("t0", "t1", "t2", "t3", "t4", "big");
      assertThat(c.floats("big")[599]).isEqualTo("big".hashCode() % 7 + 599);
      assertThat(c.floats("t3")[5]).isEqualTo("t3".hashCode() % 7 + 5);
    }
    assertThat(Files.readString(dir.resolve(Checkpoint.INDEX_FILE))).contains("\"total_size\" : 4400");
  }

  /** Under a locale of other digits the shards' names were written in them: a model no loader finds, other bytes than elsewhere. */
  @Test
  void shardNamesAreTheSameUnderAnyLocale() throws Exception {
    java.util.Locale was = java.util.Locale.getDefault();
    java.util.Locale.setDefault(java.util.Locale.forLanguageTag("fa-IR"));
    try {
      ShardedCheckpointWriter w = new ShardedCheckpointWriter(500, Map.of("format", "pt"));
      w.add("a", DType.BF16, List.of(10L, 20L));
      w.add("b", DType.BF16, List.of(10L, 20L));
      List<Path> files = w.writeTo(dir, (name, sink) -> sink.put(FloatBuffer.wrap(new float[200])));
      assertThat(files).extracting(p -> p.getFileName().toString()).containsExactly("model-00001-of-00002.safetensors",
          "model-00002-of-00002.safetensors", Checkpoint.INDEX_FILE);
    } finally {
      java.util.Locale.setDefault(was);
    }
  }

  @Test
  void aSmallModelIsOneFile() throws Exception {
    List<Path> files = new ShardedCheckpointWriter(1 << 20, Map.of()).add("w", DType.F32, List.of(4L)).writeTo(dir,
        (name, sink) -> sink.put(FloatBuffer.wrap(new float[] {1, 2, 3, 4})));
    assertThat(files).containsExactly(dir.resolve(Checkpoint.SINGLE_FILE));
  }

  /**
   * Integer and boolean buffers (BERT's I64 position_ids) are written as the bytes given, in a shard
   * like any tensor, and read back as the same buffer; bytes that do not fit the shape are refused
   * when declared.
   */
  @Test
  void buffersAreWrittenAsTheirBytesAndReadBackTheSame() throws Exception {
    java.nio.ByteBuffer ids = java.nio.ByteBuffer.allocate(3 * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(1).putLong(-7).flip();
    java.nio.ByteBuffer mask = java.nio.ByteBuffer.wrap(new byte[] {1, 0});
    ShardedCheckpointWriter w = new ShardedCheckpointWriter(40, Map.of()).add("a", DType.F32, List.of(8L))
        .addBytes("embeddings.position_ids", "I64", List.of(1L, 3L), ids).addBytes("mask", "BOOL", List.of(2L), mask);
    w.writeTo(dir, (name, sink) -> sink.put(FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6, 7, 8})));
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertThat(c.tensors()).containsOnlyKeys("a");
      assertThat(c.otherTensors()).containsExactly(Map.entry("embeddings.position_ids", "I64"), Map.entry("mask", "BOOL"));
      assertThat(c.buffer("embeddings.position_ids").shape()).containsExactly(1L, 3L);
      assertThat(c.bufferBytes("embeddings.position_ids")).isEqualTo(ids);
      assertThat(c.bufferBytes("mask")).isEqualTo(mask);
      assertThat(c.floats("a")).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }
    assertThat(Files.readString(dir.resolve(Checkpoint.INDEX_FILE))).as("the F32 tensor fills the first 40-byte shard").contains("\"total_size\" : 58");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> w.addBytes("short", "I32", List.of(2L), java.nio.ByteBuffer.allocate(4)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("short: 4 bytes given, shape [2] of I32 needs 8");
  }

  /**
   * Float buffers a model computes (RoPE's inv_freq of Llama-2-era conversions) are read past as
   * buffers and written back as the base's bytes: declared, their float dtype was taken for an
   * unknown one, and every model written from such a base failed.
   */
  @Test
  void aFloatBufferIsWrittenAsItsBytes() throws Exception {
    String name = "model.layers.0.self_attn.rotary_emb.inv_freq";
    java.nio.ByteBuffer freq = java.nio.ByteBuffer.allocate(4 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(0.1f)
        .putFloat(0.01f).putFloat(0.001f).flip();
    new ShardedCheckpointWriter(1 << 20, Map.of()).add("model.layers.0.self_attn.q_proj.weight", DType.F32, List.of(2L, 2L))
        .addBytes(name, "F32", List.of(4L), freq).writeTo(dir, (n, sink) -> sink.put(FloatBuffer.wrap(new float[] {1, 2, 3, 4})));
    try (Checkpoint c = Checkpoint.open(dir)) {
      assertThat(c.otherTensors()).containsExactly(Map.entry(name, "F32"));
      assertThat(c.bufferBytes(name)).isEqualTo(freq);
    }
  }
}
