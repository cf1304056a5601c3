package io.alpharl.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.agent.replay.ReplayStoppedException;
import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.proto.v1.StepCommitted;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replay asked to stop (Ctrl-C) aborts the step it is sending and ends: left to the JVM's end,
 * the step's transaction stayed open on the broker until its timeout, holding back every reader
 * of those partitions.
 */
class ReplayStopTest {
  private static final Path RECORDING = Path.of("..", "examples", "runs", "add2-grpo-seed1.arrow");

  @TempDir
  Path work;

  @Test
  void aStopWhileAStepIsSentAbortsItAndSaysWhereTheLogStands() throws Exception {
    MemorySink sink = new MemorySink();
    AtomicBoolean stopping = new AtomicBoolean();
    long[] first = {-1};
    sink.onBegin = step -> {
      if (first[0] < 0) {
        first[0] = step;
      } else {
        stopping.set(true); // the second step: begun, none of its frames sent yet
      }
    };
    try (RootAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> new RunReplayer(allocator, null, stopping::get).replay(RECORDING, sink, Optional.of("r"), work.resolve("base"),
          RunReplayer.Pace.FAST, 0, Long.MAX_VALUE)).isInstanceOfSatisfying(ReplayStoppedException.class, e -> {
            assertThat(e.lastSent()).isEqualTo(first[0]);
            assertThat(e.getMessage()).contains("after step " + first[0]);
          });
    }
    assertThat(sink.commits).extracting(StepCommitted::getStep).containsExactly(first[0]);
    assertThat(sink.aborts).as("the second step's transaction aborted").isEqualTo(1);
  }

  @Test
  void aStopWhileWaitingForTheNextStepEndsTheWait() throws Exception {
    MemorySink sink = new MemorySink();
    AtomicBoolean stopping = new AtomicBoolean();
    Thread stopper = new Thread(() -> {
      try {
        while (sink.commits.isEmpty()) {
          Thread.sleep(10);
        }
        stopping.set(true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    stopper.start();
    long t0 = System.nanoTime();
    try (RootAllocator allocator = new RootAllocator()) {
      RunReplayer.Pace hourly = new RunReplayer.Pace(0, Duration.ofHours(1));
      assertThatThrownBy(() -> new RunReplayer(allocator, null, stopping::get).replay(RECORDING, sink, Optional.of("r"), work.resolve("base"),
          hourly, 0, Long.MAX_VALUE)).isInstanceOf(ReplayStoppedException.class);
    } finally {
      stopper.join();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("not the hour's wait").isLessThan(Duration.ofMinutes(5));
    assertThat(sink.commits).hasSize(1);
    assertThat(sink.aborts).as("no step was begun").isZero();
  }
}
