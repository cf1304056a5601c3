package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
   * W_t = S + t · 2e-6 · (i + 1) for t = 10, 20, 30 (an RL-sized pace: 10 steps move the weights by
   * 5e-4); W_0 (checkpoint-0) = S + offset · (−1)^i, so that W_10 lies about 68 times the next
   * interval's move from it at an offset of 0.01.
   */
  private List<String> warningsOfARunWhoseBaseIsOffBy(float offset) throws Exception {
    float[] base = start();
    for (int i = 0; i < base.length; i++) {
      base[i] += offset * (i % 2 == 0 ? 1 : -1);
    }
    write(0, base);
    for (int step : new int[] {10, 20, 30}) {
      float[] w = start();
      for (int i = 0; i < w.length; i++) {
        w[i] += step * 2e-6f * (i + 1);
      }
      write(step, w);
    }
    Logger logger = (Logger) LoggerFactory.getLogger(CheckpointAgent.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try (RootAllocator allocator = new RootAllocator();
         CheckpointAgent agent = new CheckpointAgent(AgentConfig.defaults(runDir, "base-distance").withStateDir(stateDir), new MemorySink(),
             allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      for (int i = 0; i < 4 && agent.lastStep() < 30; i++) {
        agent.poll();
      }
      assertThat(agent.lastStep()).isEqualTo(30);
    } finally {
      logger.detachAppender(lines);
    }
    return lines.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
  }

  private static float[] start() {
    float[] w = new float[12];
    for (int i = 0; i < w.length; i++) {
      w[i] = 0.02f * (i - 6);
    }
    return w;
  }

  private void write(int step, float[] values) throws IOException {
    Path dir = Files.createDirectories(runDir.resolve("checkpoint-" + step));
    new SafetensorsWriter(Map.of()).add(MODULE, DType.F32, List.of(4L, 3L)).writeTo(dir.resolve("model.safetensors"), Map.of(MODULE, values));
    Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 40, \"log_history\": [{\"step\": " + step + ", \"reward\": 0.5}]}");
  }
}
