package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keyframes: every N steps of a tensor (each at its own phase) the agent sends its running sum,
 * which must be W_t − W_0 exactly (f32 checkpoints whose differences are exact), in chunks keyed
 * {@code run/tensor#chunk}, with its CRC32C in the step's commit beside the delta's; steps without
 * a keyframe of a tensor state no sum digest for it, and N = 0 sends none.
 */
class KeyframeTest {
  private static final String WIDE = "model.layers.0.self_attn.q_proj.weight";
  private static final String BIAS = "model.layers.0.self_attn.q_proj.bias";
  private static final int ROWS = 40;
  private static final int COLS = 30;

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void everyOtherStepOfEachTensorCarriesItsRunningSumCheckedByItsCommit() throws Exception {
    for (int step = 0; step <= 6; step++) {
      write(step);
    }
    MemorySink sink = send(2);
    assertThat(sink.committed).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    Map<String, List<Long>> keyframeSteps = new TreeMap<>();
    try (RootAllocator allocator = new RootAllocator(); ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      Map<String, float[]> sums = new LinkedHashMap<>();
      Map<String, Long> stepOf = new LinkedHashMap<>();
      for (DeltaFrame f : sink.keyframes) {
        String name = f.header().getTensorName();
        assertThat(f.header().getRunningSum()).isTrue();
        assertThat(f.header().hasPreviousStep()).as("a keyframe stands for every step through its own").isFalse();
        assertThat(f.sumKey()).isEqualTo("kf/" + name + "#" + f.header().getChunkIndex());
        long step = f.header().getStep();
        if (f.header().getChunkIndex() == 0) {
          keyframeSteps.computeIfAbsent(name, k -> new ArrayList<>()).add(step);
          sums.put(name + "@" + step, new float[(int) f.header().getShapeList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b)]);
          stepOf.put(name + "@" + step, step);
        }
        decoder.decode(f).copyInto(sums.get(name + "@" + step), (int) f.header().getElementOffset());
      }
      assertThat(sink.keyframes.stream().filter(f -> f.header().getTensorName().equals(WIDE)).map(f -> f.header().getChunkCount()).distinct())
          .as("the wide tensor is cut into several chunks, so their order and keys are tested").singleElement().matches(n -> n > 1);
      for (Map.Entry<String, float[]> e : sums.entrySet()) {
        String name = e.getKey().substring(0, e.getKey().indexOf('@'));
        long step = stepOf.get(e.getKey());
        assertThat(e.getValue()).as("%s: S_t = W_t − W_0", e.getKey()).containsExactly(difference(name, (int) step));
        TensorDigest digest = digest(sink.commits, step, name);
        assertThat(digest.hasSumCrc32C()).isTrue();
        assertThat(digest.getSumCrc32C()).isEqualTo(ValuesCrc32c.of(e.getValue()));
      }
    }
    assertThat(keyframeSteps).containsOnlyKeys(WIDE, BIAS);
    keyframeSteps.values().forEach(steps -> assertThat(steps).isIn(List.of(1L, 3L, 5L), List.of(2L, 4L, 6L)));
    for (StepCommitted c : sink.commits) {
      for (TensorDigest d : c.getTensorsList()) {
        assertThat(d.hasSumCrc32C()).as("%s at %d", d.getTensorName(), c.getStep()).isEqualTo(keyframeSteps.get(d.getTensorName()).contains(c.getStep()));
      }
    }
  }

  @Test
  void noKeyframesWhenTurnedOff() throws Exception {
    for (int step = 0; step <= 3; step++) {
      write(step);
    }
    MemorySink sink = send(0);
    assertThat(sink.committed).containsExactly(1L, 2L, 3L);
    assertThat(sink.keyframes).isEmpty();
    assertThat(sink.commits).allSatisfy(c -> assertThat(c.getTensorsList()).noneMatch(TensorDigest::hasSumCrc32C));
  }

  private MemorySink send(int every) throws IOException {
    MemorySink sink = new MemorySink();
    AgentConfig config = AgentConfig.defaults(runDir, "kf").withStateDir(stateDir).withKeyframeEvery(every)
        .withChunking(new ChunkingConfig(COLS * Float.BYTES * 8, ChunkingConfig.DEFAULT_SPARSE_MAX_DENSITY));
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
    }
    return sink;
  }

  private static TensorDigest digest(List<StepCommitted> commits, long step, String name) {
    return commits.stream().filter(c -> c.getStep() == step).findFirst().orElseThrow().getTensorsList().stream()
        .filter(d -> d.getTensorName().equals(name)).findFirst().orElseThrow();
  }

  private void write(int step) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    Map<String, float[]> values = new LinkedHashMap<>();
    values.put(WIDE, weights(WIDE, step));
    values.put(BIAS, weights(BIAS, step));
    new SafetensorsWriter(Map.of()).add(WIDE, DType.F32, List.of((long) ROWS, (long) COLS)).add(BIAS, DType.F32, List.of((long) ROWS))
        .writeTo(dir.resolve("model.safetensors"), values);
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 6, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }

  /** Multiples of 1/64 below 64: W_t − W_0 is exact in f32. Some elements never move, so chunks may be sparse. */
  private static float[] weights(String name, int step) {
    float[] w = new float[name.equals(WIDE) ? ROWS * COLS : ROWS];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 17) / 4f + (i % 5 == 0 ? 0 : step * ((i % 7) + 1) / 64f);
    }
    return w;
  }

  private static float[] difference(String name, int step) {
    float[] d = weights(name, step);
    float[] w0 = weights(name, 0);
    for (int i = 0; i < d.length; i++) {
      d[i] -= w0[i];
    }
    return d;
  }
}
