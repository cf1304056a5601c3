package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.delta.RunningSum;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.agent.resume.ResumeRefusedException;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At a restart the agent rebuilds ΔW of the newest committed step from the log (here: the resume
 * fills the sum as the log would). Where that step's checkpoint is still in the run folder it must
 * be W_0 plus that update, or the folder holds another run under the same id and the agent refuses.
 */
class ResumeContinuityTest {
  private static final String W = "model.layers.0.mlp.up_proj.weight";
  private static final int N = 256 * 512; // 32 windows of 4096: the check samples 16 of them
  /** Each step's update a value, times a direction of size 1. */
  private double scale = 1e-4;

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void theFolderThatWasSentResumes() throws Exception {
    write(0, 0);
    write(5, 0);
    assertThat(lastStepAfterResume(logOf(5, 0, WireDtype.F32))).isEqualTo(5);
  }

  @Test
  void bf16DeltasWithTheirRoundingStillResume() throws Exception {
    write(0, 0);
    write(5, 0);
    assertThat(lastStepAfterResume(logOf(5, 0, WireDtype.BF16))).isEqualTo(5);
  }

  /**
   * f16's spacing stops shrinking at its subnormals (2⁻²⁴ apart): an update of 3e-7 a value was
   * summed within 3e-8 of the checkpoint's, 6 % of itself, and a restarted agent took its own run
   * for another. Another run is still told apart at that size.
   */
  @Test
  void f16DeltasOfATinyUpdateResumeAndAnotherRunOfItsSizeIsRefused() throws Exception {
    scale = 6e-8;
    write(0, 0);
    write(5, 0);
    assertThat(lastStepAfterResume(logOf(5, 0, WireDtype.F16), WireDtype.F16)).isEqualTo(5);
    write(5, 1);
    assertThatThrownBy(() -> lastStepAfterResume(logOf(5, 0, WireDtype.F16), WireDtype.F16)).isInstanceOf(ResumeRefusedException.class)
        .hasMessageContaining("checkpoint-5").hasMessageContaining(W + ": the log's update differs");
  }

  /**
   * The rounding allowed is the wire's the log was sent in, not this agent's: a run sent in f16 and
   * resumed with {@code --delta-dtype f32} was refused as another run (its tiny update's f16
   * rounding against f32's allowance of none).
   */
  @Test
  void aRunSentInF16ResumesWithAnotherDeltaDtype() throws Exception {
    scale = 6e-8;
    write(0, 0);
    write(5, 0);
    assertThat(lastStepAfterResume(sentIn(WireDtype.F16, logOf(5, 0, WireDtype.F16)), WireDtype.F32)).isEqualTo(5);
    write(5, 1);
    assertThatThrownBy(() -> lastStepAfterResume(sentIn(WireDtype.F16, logOf(5, 0, WireDtype.F16)), WireDtype.F32))
        .isInstanceOf(ResumeRefusedException.class).hasMessageContaining("checkpoint-5").hasMessageContaining(W + ": the log's update differs");
  }

  @Test
  void anotherRunUnderTheSameIdIsRefused() throws Exception {
    write(0, 0);
    write(5, 1); // the same base, another direction of training
    assertThatThrownBy(() -> lastStepAfterResume(logOf(5, 0, WireDtype.F32))).isInstanceOf(ResumeRefusedException.class)
        .hasMessageContaining("checkpoint-5").hasMessageContaining(W).hasMessageContaining("new run id");
  }

  @Test
  void aCheckpointRotatedAwayCannotBeCheckedAndIsNotHeldAgainstTheRun() throws Exception {
    write(0, 0);
    assertThat(lastStepAfterResume(logOf(5, 1, WireDtype.F32))).isEqualTo(5);
  }

  @Test
  void theRunsOwnBaseResumesAndAnotherBaseIsRefused() throws Exception {
    write(0, 0);
    write(5, 0);
    BaseModelFingerprint runs;
    try (Checkpoint base = Checkpoint.open(runDir.resolve("checkpoint-0"))) {
      runs = BaseModelFingerprint.of(base);
    }
    assertThat(lastStepAfterResume(withBase(logOf(5, 0, WireDtype.F32), runs))).isEqualTo(5);

    BaseModelFingerprint another = new BaseModelFingerprint(Map.of(W, runs.crcs().get(W) ^ 1));
    // The folder's checkpoint of step 5 would pass the continuity check: only the fingerprint tells.
    assertThatThrownBy(() -> lastStepAfterResume(withBase(logOf(5, 0, WireDtype.F32), another))).isInstanceOf(ResumeRefusedException.class)
        .hasMessageContaining("is not the one the run started from").hasMessageContaining("tensor " + W + " holds other bytes");
  }

  /**
   * A trainer that loaded the f32 base as bf16: the log holds W_5 − bf16(W_0) and the manifest says
   * so. Compared against W_0 as stored, the rounding (about 8 % of this update) took the run for
   * another.
   */
  @Test
  void aRunWhoseUpdatesAreTakenAgainstTheRoundedBaseResumes() throws Exception {
    write(0, 0);
    float[] w5 = weights(5, 0);
    DType.BF16.roundInPlace(w5, 0, N);
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-5"));
    new SafetensorsWriter(Map.of()).add(W, DType.BF16, List.of(256L, 512L)).writeTo(dir.resolve("model.safetensors"), Map.of(W, w5));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": 5, \"reward\": 0.5}]}");
    float[] w0 = weights(0, 0);
    DType.BF16.roundInPlace(w0, 0, N);
    TensorInfo info = TensorInfo.newBuilder().setName(W).addAllShape(List.of(256L, 512L)).setDtype(io.alpharl.proto.v1.DType.D_TYPE_F32)
        .setModelled(true).setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16).setBaseRoundedTo(io.alpharl.proto.v1.DType.D_TYPE_BF16).build();
    CheckpointAgent.Resume log = (RunningSum sum) -> {
      float[] target = new float[N];
      for (int i = 0; i < N; i++) {
        target[i] = w5[i] - w0[i];
      }
      assertThat(sum.advance(W, 0, target, new float[N], N, WireDtype.F32)).isNegative();
      sum.commitStep();
      return new CommittedRun(5, 1, new java.util.TreeMap<>(), Optional.empty(), Map.of(W, info), Optional.empty(), Optional.empty(), 0);
    };
    assertThat(lastStepAfterResume(log)).isEqualTo(5);
  }

  /** The resume, with the run's manifest on the log fingerprinting {@code base}. */
  private static CheckpointAgent.Resume withBase(CheckpointAgent.Resume resume, BaseModelFingerprint base) {
    return sum -> {
      CommittedRun c = resume.load(sum);
      return new CommittedRun(c.lastStep(), c.firstManifestMs(), c.progress(), Optional.of(base));
    };
  }

  /** The run as a log whose manifests name {@code wire} would give it. */
  private static CheckpointAgent.Resume sentIn(WireDtype wire, CheckpointAgent.Resume resume) {
    return sum -> {
      CommittedRun c = resume.load(sum);
      return new CommittedRun(c.lastStep(), c.firstManifestMs(), c.progress(), c.base(), c.modules(), c.progressKey(), c.steps(), c.newestPlan(),
          Set.of(wire));
    };
  }

  private long lastStepAfterResume(CheckpointAgent.Resume resume) throws Exception {
    return lastStepAfterResume(resume, AgentConfig.defaults(runDir, "resume").wire());
  }

  private long lastStepAfterResume(CheckpointAgent.Resume resume, WireDtype wire) throws Exception {
    AgentConfig config = AgentConfig.defaults(runDir, "resume").withStateDir(stateDir).withWire(wire);
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, null, allocator, resume)) {
      return agent.lastStep();
    }
  }

  /** A resume that sums W_step − W_0 of run {@code seed} into the agent's sum, in the wire dtype's deltas, as the log would hold it. */
  private CheckpointAgent.Resume logOf(int step, int seed, WireDtype wire) {
    return (RunningSum sum) -> {
      float[] target = new float[N];
      float[] w0 = weights(0, 0);
      float[] ws = weights(step, seed);
      for (int i = 0; i < N; i++) {
        target[i] = ws[i] - w0[i];
      }
      int bad = sum.advance(W, 0, target, new float[N], N, wire);
      assertThat(bad).isNegative();
      sum.commitStep();
      return new CommittedRun(step, 1);
    };
  }

  /** W_t = W_0 + t·scale·A_seed, with A_0 and A_1 unrelated directions of like size. */
  private float[] weights(int step, int seed) {
    float[] w = new float[N];
    for (int i = 0; i < N; i++) {
      double a = seed == 0 ? Math.sin(0.37 * i) : Math.cos(1.91 * i + 0.5);
      w[i] = (float) (0.02 * Math.sin(0.011 * i + 1) + step * scale * a);
    }
    return w;
  }

  private void write(int step, int seed) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    new SafetensorsWriter(Map.of()).add(W, DType.F32, List.of(256L, 512L)).writeTo(dir.resolve("model.safetensors"), Map.of(W, weights(step, seed)));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 20, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }
}
