package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trainer that loads a bf16 base in f32 saves f32 checkpoints. The manifest said only the base's
 * dtype, so predicted models were written in bf16 and an update below its spacing was lost. The
 * agent names the checkpoints' dtype in the manifest before the run's first step is sent, and a
 * later checkpoint in another dtype changes nothing (a model's dtype must not depend on when it is
 * written).
 */
class CheckpointDtypeTest {
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";
  private static final String NORM = "model.norm.weight";

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void theManifestNamesTheDtypeOfTheRunsFirstCheckpointBeforeItsStep() throws Exception {
    write(0, io.alpharl.safetensors.DType.BF16);
    write(5, io.alpharl.safetensors.DType.F32);
    write(10, io.alpharl.safetensors.DType.BF16); // stored otherwise later: said, not followed
    MemorySink sink = new MemorySink();
    List<Integer> manifestsAtFirstStep = new java.util.ArrayList<>();
    sink.onBegin = step -> {
      if (step == 5) {
        manifestsAtFirstStep.add(sink.manifests.size());
      }
    };
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(AgentConfig.defaults(runDir, "dtypes").withStateDir(stateDir), sink, allocator,
             CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll();
    }
    assertThat(sink.committed).containsExactly(5L, 10L);
    assertThat(sink.manifests.get(0).getTensorsList()).as("at start, before any checkpoint").noneMatch(TensorInfo::hasCheckpointDtype);
    RunManifest atFirstStep = sink.manifests.get(manifestsAtFirstStep.get(0) - 1);
    for (RunManifest m : List.of(atFirstStep, sink.manifests.get(sink.manifests.size() - 1))) {
      assertThat(m.getTensorsList()).extracting(TensorInfo::getName, TensorInfo::getDtype, TensorInfo::getCheckpointDtype)
          .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(MODULE, DType.D_TYPE_BF16, DType.D_TYPE_F32),
              org.assertj.core.groups.Tuple.tuple(NORM, DType.D_TYPE_BF16, DType.D_TYPE_F32));
    }
  }

  private void write(int step, io.alpharl.safetensors.DType dtype) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    float[] m = new float[6];
    for (int i = 0; i < m.length; i++) {
      m[i] = 0.02f * (i + 1) + 3e-5f * step;
    }
    new SafetensorsWriter(Map.of()).add(MODULE, dtype, List.of(3L, 2L)).add(NORM, dtype, List.of(2L))
        .writeTo(dir.resolve("model.safetensors"), Map.of(MODULE, m, NORM, new float[] {1f, 1f + 1e-4f * step}));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }
}
