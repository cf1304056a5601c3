package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A base from the hub may store a tied {@code lm_head.weight} that the trainer's
 * {@code save_pretrained} drops, and a trainer may save tensors the base has not (a tied head
 * saved untied, a value head). Every checkpoint of such a run was dead-lettered, so the run never
 * streamed. The head is read from the embedding it is tied to; the extra tensors are not sent.
 */
class TiedHeadTest {
  private static final String EMBED = "model.embed_tokens.weight";
  private static final String HEAD = "lm_head.weight";
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void theTiedHeadFollowsItsEmbeddingAndExtraTensorsAreLeftOut() throws Exception {
    Map<String, float[]> base = weights(0);
    base.put(HEAD, base.get(EMBED).clone());
    write(0, base);
    Map<String, float[]> five = weights(5); // saved without the tied head
    write(5, five);
    Map<String, float[]> ten = weights(10);
    ten.put("v_head.summary.weight", new float[] {1f, 2f, 3f, 4f});
    write(10, ten);
    try (RootAllocator allocator = new RootAllocator()) {
      MemorySink sink = sent("tied", allocator);
      assertThat(sink.letters).isEmpty();
      assertThat(sink.committed).containsExactly(5L, 10L);
      float[] embedDelta = sink.sum(allocator, EMBED, 8);
      assertThat(sink.sum(allocator, HEAD, 8)).as("the head's update is its embedding's").containsExactly(embedDelta);
      assertThat(embedDelta).containsExactly(difference(ten.get(EMBED), base.get(EMBED)));
      assertThat(sink.frames).noneMatch(f -> f.header().getTensorName().startsWith("v_head"));
    }
  }

  /** Older BERT-family saves keep an I64 position_ids buffer: such a base or checkpoint was refused whole; the buffer is now not streamed. */
  @Test
  void aBufferOfAnotherDtypeIsNotStreamedAndRefusesNothing() throws Exception {
    for (int step : new int[] {0, 5}) {
      Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
      byte[] header = ("{\"" + MODULE + "\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[0,24]},"
          + "\"embeddings.position_ids\":{\"dtype\":\"I64\",\"shape\":[1,2],\"data_offsets\":[24,40]}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + header.length + 40).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      b.putLong(header.length).put(header);
      for (int i = 0; i < 6; i++) {
        b.putFloat(1 + i + 0.5f * step);
      }
      b.putLong(0).putLong(1);
      Files.write(dir.resolve("model.safetensors"), b.array());
      Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
    }
    try (RootAllocator allocator = new RootAllocator()) {
      MemorySink sink = sent("buffers", allocator);
      assertThat(sink.letters).isEmpty();
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.sum(allocator, MODULE, 6)).containsExactly(2.5f, 2.5f, 2.5f, 2.5f, 2.5f, 2.5f);
      assertThat(sink.manifests.get(0).getTensorsList()).extracting(t -> t.getName()).containsExactly(MODULE);
    }
  }

  /**
   * The hub's gpt2 names its tensors without GPT2LMHeadModel's {@code transformer.}; the trainer's
   * checkpoints name them with it. Every step was refused for a tensor the base has; now each is
   * read under the prefix and sent under the base's name (the name a predicted model is written in).
   */
  @Test
  void aHubBaseWithoutTheModelsPrefixIsReadUnderIt() throws Exception {
    Path hub = Files.createDirectories(stateDir.resolve("hub-gpt2"));
    float[] conv = {1f, 2f, 3f, 4f, 5f, 6f};
    float[] wte = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f};
    writeNamed(hub, Map.of("h.0.mlp.c_fc.weight", conv, "wte.weight", wte));
    Path step = Files.createDirectories(runDir.resolve("checkpoint-5"));
    writeNamed(step, Map.of("transformer.h.0.mlp.c_fc.weight", new float[] {1.5f, 2f, 3f, 4f, 5f, 6f}, "transformer.wte.weight", wte));
    Files.writeString(step.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": 5, \"reward\": 0.5}]}");
    try (RootAllocator allocator = new RootAllocator()) {
      MemorySink sink = new MemorySink();
      AgentConfig config = AgentConfig.defaults(runDir, "hub-gpt2").withStateDir(stateDir).withBase(hub);
      try (CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
        agent.start();
        agent.poll();
        agent.poll();
      }
      assertThat(sink.letters).isEmpty();
      assertThat(sink.committed).containsExactly(5L);
      assertThat(sink.sum(allocator, "h.0.mlp.c_fc.weight", 6)).containsExactly(0.5f, 0f, 0f, 0f, 0f, 0f);
      assertThat(sink.manifests.get(0).getTensorsList()).extracting(t -> t.getName()).containsExactly("h.0.mlp.c_fc.weight", "wte.weight");
    }
  }

  private static void writeNamed(Path dir, Map<String, float[]> values) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter(Map.of());
    Map<String, float[]> sorted = new TreeMap<>(values);
    sorted.forEach((name, v) -> w.add(name, DType.F32, v.length == 8 ? List.of(4L, 2L) : List.of(2L, 3L)));
    w.writeTo(dir.resolve("model.safetensors"), sorted);
  }

  /** What an agent over the run folder sent, started and polled twice (two scans agree, so every checkpoint there is complete). */
  private MemorySink sent(String runId, RootAllocator allocator) throws Exception {
    MemorySink sink = new MemorySink();
    AgentConfig config = AgentConfig.defaults(runDir, runId).withStateDir(stateDir);
    try (CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
    }
    return sink;
  }

  private static Map<String, float[]> weights(int step) {
    Map<String, float[]> w = new TreeMap<>();
    float[] e = new float[8];
    float[] m = new float[6];
    for (int i = 0; i < e.length; i++) {
      e[i] = 1 + i + 0.125f * step * (i + 1);
    }
    for (int i = 0; i < m.length; i++) {
      m[i] = 2 + i + 0.25f * step;
    }
    w.put(EMBED, e);
    w.put(MODULE, m);
    return w;
  }

  private static float[] difference(float[] a, float[] b) {
    float[] d = new float[a.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }

  private void write(int step, Map<String, float[]> values) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    SafetensorsWriter w = new SafetensorsWriter(Map.of());
    values.forEach((name, v) -> w.add(name, DType.F32, v.length == 8 ? List.of(4L, 2L) : v.length == 6 ? List.of(3L, 2L) : List.of((long) v.length)));
    w.writeTo(dir.resolve("model.safetensors"), values);
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }
}
