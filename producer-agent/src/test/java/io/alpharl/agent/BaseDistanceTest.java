package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.alpharl.agent.delta.RunningSum;
import io.alpharl.agent.resume.CommittedRun;
import io.alpharl.proto.frame.WireDtype;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A base W_0 that is not the model the run started from (here: the run's true start plus an
 * offset, as an instruct model differs from its pretrained base) is warned of after the run's
 * second checkpoint, with what to do; the run's own start is not.
 */
class BaseDistanceTest {
  private static final String MODULE = "model.layers.0.mlp.up_proj.weight";

  @TempDir
  Path runDir;
  @TempDir
  Path stateDir;

  @Test
  void aBaseOfAnotherRevisionIsWarnedOfOnce() throws Exception {
    assertThat(warningsOfARunWhoseBaseIsOffBy(0.01f)).singleElement().asString().contains("step 10", "checkpoint-0", "--base");
  }

  @Test
  void theRunsOwnStartIsNotWarnedOf() throws Exception {
    assertThat(warningsOfARunWhoseBaseIsOffBy(0)).isEmpty();
  }

  /**
   * An agent started late (oldest checkpoint 1000, one every 20 steps) on a bf16 wire: the second
   * step's delta carries what bf16 left of the first, far larger than the training's move when W_0
   * is off, and was taken for the training's pace (the warning never came on a 16-bit wire).
   */
  @Test
  void aBaseOfAnotherRevisionIsWarnedOfOnASixteenBitWireToo() throws Exception {
    for (WireDtype wire : new WireDtype[] {WireDtype.F32, WireDtype.BF16, WireDtype.F16}) {
      Run run = new Run(0.01f, wire, List.of(1000, 1020, 1040), LARGE);
      assertThat(warnings(run, false)).as("%s wire", wire).singleElement().asString().contains("step 1000");
      assertThat(warnings(new Run(0, wire, run.steps(), LARGE), false)).as("%s wire, the run's own start", wire).isEmpty();
    }
  }

  /**
   * A checkpoint that did not move the weights settles nothing on a 16-bit wire either: its delta
   * is the first step's residue alone, and the next checkpoint decides.
   */
  @Test
  void aStepThatDidNotMoveTheWeightsSettlesNothingOnASixteenBitWire() throws Exception {
    Run off = new Run(0.01f, WireDtype.BF16, List.of(1000, 1020, 1040), LARGE).frozenAt(1020);
    assertThat(warnings(off, false)).singleElement().asString().contains("step 1000", "the 40 steps after it");
    assertThat(warnings(new Run(0, WireDtype.BF16, off.steps(), LARGE).frozenAt(1020), false)).isEmpty();
  }

  /**
   * An agent restarted between the run's first two checkpoints measures the first from the log
   * (it was not measured at all before: a resumed agent never warned).
   */
  @Test
  void anAgentRestartedAfterTheRunsFirstCheckpointStillWarns() throws Exception {
    for (WireDtype wire : new WireDtype[] {WireDtype.F32, WireDtype.BF16}) {
      Run off = new Run(0.01f, wire, List.of(1000, 1020, 1040), LARGE);
      assertThat(warnings(off, true)).as("%s wire", wire).singleElement().asString().contains("step 1000");
      assertThat(warnings(new Run(0, wire, off.steps(), LARGE), true)).as("%s wire, the run's own start", wire).isEmpty();
    }
  }

  private static final Shape SMALL = new Shape(4, 3);
  /** Enough values that the first step's rounding residue and the next move are as unrelated as in a model. */
  private static final Shape LARGE = new Shape(256, 400);

  /**
   * W_t = S + t · pace_i, W_0 = S + offset · (−1)^i.
   *
   * @param frozenAt a step whose checkpoint repeats the previous one's weights (0: none)
   */
  private record Shape(int rows, int cols) {}

  private record Run(float offset, WireDtype wire, List<Integer> steps, Shape shape, int frozenAt) {
    Run(float offset, WireDtype wire, List<Integer> steps, Shape shape) {
      this(offset, wire, steps, shape, 0);
    }

    Run frozenAt(int step) {
      return new Run(offset, wire, steps, shape, step);
    }

    int values() {
      return shape.rows() * shape.cols();
    }

    /** An RL-sized pace: 2e-6 (i + 1) a step on the small module, 1e-8 (1 + i mod 7) on the large one. */
    float pace(int i) {
      return shape == SMALL ? 2e-6f * (i + 1) : 1e-8f * (1 + i % 7);
    }

    float[] start() {
      float[] w = new float[values()];
      for (int i = 0; i < w.length; i++) {
        w[i] = 0.02f * (i % 13 - 6);
      }
      return w;
    }

    float[] base() {
      float[] w = start();
      for (int i = 0; i < w.length; i++) {
        w[i] += offset * (i % 2 == 0 ? 1 : -1);
      }
      return w;
    }

    float[] at(int step) {
      int moved = step;
      if (step == frozenAt) {
        moved = steps.get(steps.indexOf(step) - 1);
      }
      float[] w = start();
      for (int i = 0; i < w.length; i++) {
        w[i] += moved * pace(i);
      }
      return w;
    }
  }

  /**
   * W_t = S + t · 2e-6 · (i + 1) for t = 10, 20, 30 (an RL-sized pace: 10 steps move the weights by
   * 5e-4); W_0 (checkpoint-0) = S + offset · (−1)^i, so that W_10 lies about 68 times the next
   * interval's move from it at an offset of 0.01.
   */
  private List<String> warningsOfARunWhoseBaseIsOffBy(float offset) throws Exception {
    return warnings(new Run(offset, WireDtype.F32, List.of(10, 20, 30), SMALL), false);
  }

  /**
   * The agent's warnings over the run.
   *
   * @param resumed start the agent as if an earlier one had committed the run's first checkpoint
   *                alone (the log's sum and step count as {@link CommittedRun#load} would give them)
   */
  private List<String> warnings(Run run, boolean resumed) throws Exception {
    Path dir = Files.createTempDirectory(runDir, "run");
    write(dir, 0, run.base(), run);
    for (int step : run.steps()) {
      write(dir, step, run.at(step), run);
    }
    int first = run.steps().get(0);
    CheckpointAgent.Resume resume = !resumed ? CheckpointAgent.Resume.NEW : (RunningSum sum) -> {
      float[] target = run.at(first);
      float[] w0 = run.base();
      for (int i = 0; i < target.length; i++) {
        target[i] -= w0[i];
      }
      assertThat(sum.advance(MODULE, 0, target, new float[target.length], target.length, run.wire())).isNegative();
      sum.commitStep();
      return new CommittedRun(first, 1, new TreeMap<>(), Optional.empty(), Map.of(), Optional.empty(), Optional.of(new TreeSet<>(Set.of((long) first))), 0);
    };
    Logger logger = (Logger) LoggerFactory.getLogger(CheckpointAgent.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    int last = run.steps().get(run.steps().size() - 1);
    AgentConfig config = AgentConfig.defaults(dir, "base-distance").withStateDir(Files.createTempDirectory(stateDir, "state")).withWire(run.wire())
        .withBase(dir.resolve("checkpoint-0"));
    try (RootAllocator allocator = new RootAllocator(); CheckpointAgent agent = new CheckpointAgent(config, new MemorySink(), allocator, resume)) {
      agent.start();
      for (int i = 0; i < 4 && agent.lastStep() < last; i++) {
        agent.poll();
      }
      assertThat(agent.lastStep()).isEqualTo(last);
    } finally {
      logger.detachAppender(lines);
    }
    return lines.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("W_0 is likely not")).toList();
  }

  private static void write(Path dir, int step, float[] values, Run run) throws IOException {
    Path ckpt = Files.createDirectories(dir.resolve("checkpoint-" + step));
    new SafetensorsWriter(Map.of()).add(MODULE, DType.F32, List.of((long) run.shape().rows(), (long) run.shape().cols()))
        .writeTo(ckpt.resolve("model.safetensors"), Map.of(MODULE, values));
    Files.writeString(ckpt.resolve("trainer_state.json"), "{\"max_steps\": 2000, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }
}
