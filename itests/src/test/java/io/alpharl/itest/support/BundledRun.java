package io.alpharl.itest.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.publish.KafkaStepSink;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;

/** The real GRPO run bundled in {@code examples/runs}, made by {@code examples/trainer}. */
public final class BundledRun {
  public static final String NAME = "add2-grpo-seed1";
  private static final Pattern CHECKPOINT = Pattern.compile("checkpoint-(\\d+)");

  private BundledRun() {}

  public static Path dir() {
    Path p = Path.of("..", "examples", "runs", NAME).toAbsolutePath().normalize();
    if (!Files.isDirectory(p.resolve("checkpoint-0"))) {
      throw new IllegalStateException("bundled run not found at " + p + "; run the tests from the repository (mvn verify)");
    }
    return p;
  }

  /** The recording of the bundled run ({@code alpharl agent record}). */
  public static Path recording() {
    return dir().resolveSibling(NAME + ".arrow");
  }

  /** Steps of the bundled checkpoints, ascending, 0 (the base) first. */
  /**
   * Replays the recorded steps in ({@code after}, {@code through}] under {@code runId}, as fast as
   * the broker takes them, writing the base model into {@code baseDir}.
   */
  public static void replay(String bootstrap, String runId, BufferAllocator allocator, Path baseDir, long after, long through) throws Exception {
    try (KafkaStepSink sink = new KafkaStepSink(bootstrap, runId, Map.of())) {
      new RunReplayer(allocator, null).replay(recording(), sink, Optional.of(runId), baseDir, 0, after, through);
    }
  }

  public static List<Long> steps() {
    try (Stream<Path> s = Files.list(dir())) {
      return s.map(p -> CHECKPOINT.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .map(m -> Long.parseLong(m.group(1)))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies one checkpoint directory into {@code runDir}, as a trainer would write it (staged, then renamed). */
  public static void copyCheckpoint(long step, Path runDir) throws IOException {
    Path src = dir().resolve("checkpoint-" + step);
    Path tmp = runDir.resolve("tmp-checkpoint-" + step);
    Files.createDirectories(tmp);
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, tmp.resolve(f.getFileName()));
      }
    }
    Files.move(tmp, runDir.resolve("checkpoint-" + step));
  }

  /**
   * A read-committed consumer's ΔW_t = Σ δ over {@code steps} equals W_t − W_0 of the bundled run's
   * files bit for bit at every step (what the agent's error feedback promises with f32 deltas).
   */
  public static void assertDeltasSumToFiles(RunLog log, List<Long> steps) throws IOException {
    Map<String, float[]> sum = new HashMap<>();
    try (Checkpoint base = Checkpoint.open(dir().resolve("checkpoint-0"))) {
      for (long step : steps) {
        Map<String, float[]> deltas = log.deltas.get(step);
        assertThat(deltas.keySet()).as("step %d tensors", step).isEqualTo(base.tensors().keySet());
        try (Checkpoint ckpt = Checkpoint.open(dir().resolve("checkpoint-" + step))) {
          for (String name : base.tensors().keySet()) {
            float[] s = sum.computeIfAbsent(name, k -> new float[deltas.get(k).length]);
            float[] d = deltas.get(name);
            float[] w0 = base.floats(name);
            float[] wt = ckpt.floats(name);
            for (int i = 0; i < s.length; i++) {
              s[i] += d[i];
              float expected = wt[i] - w0[i];
              if (Float.floatToRawIntBits(s[i]) != Float.floatToRawIntBits(expected)) {
                throw new AssertionError("step " + step + " " + name + "[" + i + "]: Σδ = " + s[i] + ", W_t − W_0 = " + expected);
              }
            }
          }
        }
      }
    }
  }
}
