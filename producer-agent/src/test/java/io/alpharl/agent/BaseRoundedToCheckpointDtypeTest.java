package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.ChunkDecoder;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.HalfFloats;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer that loads an f32 base as bf16 starts from bf16(W_0), not W_0. Taken against W_0 as
 * stored, every step's update carried bf16(W_0) − W_0: full-rank, the same at every step, and about
 * 0.2 % of each weight, often more than the run's whole update. The updates are taken against W_0
 * rounded to the checkpoints' dtype, and the manifest says so for the extrapolator.
 */
class BaseRoundedToCheckpointDtypeTest {
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";
  private static final String NORM = "model.norm.weight";

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;
  @TempDir
  Path baseDir;

  @Test
  void updatesAreTakenAgainstTheBaseAsTheTrainerLoadedIt() throws Exception {
    float[] w0 = new float[6];
    for (int i = 0; i < w0.length; i++) {
      w0[i] = 0.1f * (i + 1) + 1e-5f; // none of them a bf16 value
    }
    float[] norm0 = {1.001f, 0.9987f};
    new SafetensorsWriter(Map.of()).add(MODULE, io.alpharl.safetensors.DType.F32, List.of(3L, 2L))
        .add(NORM, io.alpharl.safetensors.DType.F32, List.of(2L)).writeTo(baseDir.resolve("model.safetensors"), Map.of(MODULE, w0, NORM, norm0));
    // Step 5: the norm untouched, one module value moved one bf16 spacing up (the checkpoint holds bf16 values only).
    float[] w5 = bf16(w0);
    w5[2] = HalfFloats.bf16ToFloat((short) (HalfFloats.floatToBf16(w0[2]) + 1));
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-5"));
    new SafetensorsWriter(Map.of()).add(MODULE, io.alpharl.safetensors.DType.BF16, List.of(3L, 2L))
        .add(NORM, io.alpharl.safetensors.DType.BF16, List.of(2L)).writeTo(dir.resolve("model.safetensors"), Map.of(MODULE, w5, NORM, bf16(norm0)));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": 5, \"reward\": 0.5}]}");

    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(AgentConfig.defaults(runDir, "rounded").withBase(baseDir).withStateDir(stateDir), sink,
             allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
    }
    assertThat(sink.letters).isEmpty();
    assertThat(sink.committed).containsExactly(5L);
    Map<String, float[]> delta = summed(sink);
    float[] expected = new float[6];
    expected[2] = w5[2] - bf16(w0)[2];
    assertThat(expected[2]).isPositive();
    assertThat(delta.get(MODULE)).as("W_5 − bf16(W_0): one value moved").containsExactly(expected);
    assertThat(delta.get(NORM)).as("an untouched tensor has no update").containsExactly(0f, 0f);
    assertThat(sink.manifests.get(sink.manifests.size() - 1).getTensorsList()).extracting(TensorInfo::getName, TensorInfo::getBaseRoundedTo)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(MODULE, DType.D_TYPE_BF16),
            org.assertj.core.groups.Tuple.tuple(NORM, DType.D_TYPE_BF16));
  }

  /**
   * A run an earlier agent began (its manifest names no checkpoint dtypes) keeps W_0 as stored when
   * this agent resumes it: rounding from the step after the restart on, that step's update carried
   * bf16(W_0) − W_0, a jump in every fit across it. Nor are the dtypes named after the restart: a
   * prediction from an earlier step would be written in the base's dtypes or the checkpoints' by
   * when the extrapolator read the manifest.
   */
  @Test
  void aRunAnEarlierAgentBeganKeepsTheBaseAsStored() throws Exception {
    float[] w0 = {0.1f + 1e-5f, 0.2f + 1e-5f, 0.3f + 1e-5f, 0.4f + 1e-5f, 0.5f + 1e-5f, 0.6f + 1e-5f};
    float[] norm0 = {1.001f, 0.9987f};
    new SafetensorsWriter(Map.of()).add(MODULE, io.alpharl.safetensors.DType.F32, List.of(3L, 2L))
        .add(NORM, io.alpharl.safetensors.DType.F32, List.of(2L)).writeTo(baseDir.resolve("model.safetensors"), Map.of(MODULE, w0, NORM, norm0));
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-10"));
    new SafetensorsWriter(Map.of()).add(MODULE, io.alpharl.safetensors.DType.BF16, List.of(3L, 2L))
        .add(NORM, io.alpharl.safetensors.DType.BF16, List.of(2L)).writeTo(dir.resolve("model.safetensors"), Map.of(MODULE, bf16(w0), NORM, bf16(norm0)));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": 10, \"reward\": 0.5}]}");
    Map<String, TensorInfo> older = Map.of(
        MODULE, TensorInfo.newBuilder().setName(MODULE).addAllShape(List.of(3L, 2L)).setDtype(DType.D_TYPE_F32).setModelled(true).build(),
        NORM, TensorInfo.newBuilder().setName(NORM).addAllShape(List.of(2L)).setDtype(DType.D_TYPE_F32).build());
    // Step 5 on the log, its checkpoint rotated away; its update was nothing (the sum stays zero).
    CheckpointAgent.Resume log = sum -> new io.alpharl.agent.resume.CommittedRun(5, 1, new java.util.TreeMap<>(), java.util.Optional.empty(), older,
        java.util.Optional.empty(), java.util.Optional.empty(), 0);
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(AgentConfig.defaults(runDir, "older").withBase(baseDir).withStateDir(stateDir), sink, allocator,
             log)) {
      agent.start();
      agent.poll();
      agent.poll();
    }
    assertThat(sink.letters).isEmpty();
    assertThat(sink.committed).containsExactly(10L);
    Map<String, float[]> delta = summed(sink);
    float[] expected = new float[2];
    for (int i = 0; i < 2; i++) {
      expected[i] = bf16(norm0)[i] - norm0[i];
    }
    assertThat(delta.get(NORM)).as("W_10 − W_0 as stored, as the run's earlier steps were taken").containsExactly(expected);
    assertThat(sink.manifests).isNotEmpty().allSatisfy(m -> assertThat(m.getTensorsList()).noneMatch(TensorInfo::hasCheckpointDtype)
        .noneMatch(TensorInfo::hasBaseRoundedTo));
  }

  /** The update the sink's frames sum to, per tensor. */
  private static Map<String, float[]> summed(MemorySink sink) {
    Map<String, float[]> delta = new HashMap<>(Map.of(MODULE, new float[6], NORM, new float[2]));
    try (RootAllocator allocator = new RootAllocator(); ChunkDecoder decoder = new ChunkDecoder(allocator)) {
      for (DeltaFrame f : sink.frames) {
        decoder.decode(f).addInto(delta.get(f.header().getTensorName()), (int) f.header().getElementOffset());
      }
    }
    return delta;
  }

  private static float[] bf16(float[] w) {
    float[] out = w.clone();
    io.alpharl.safetensors.DType.BF16.roundInPlace(out, 0, out.length);
    return out;
  }
}
