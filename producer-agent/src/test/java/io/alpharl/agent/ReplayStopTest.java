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

  /** A stop while the base is written sends no manifest (the run is not made visible) and leaves no base file behind. */
  @Test
  void aStopBeforeTheFirstStepSendsNothingAndLeavesNoBase() throws Exception {
    MemorySink sink = new MemorySink();
    try (RootAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> new RunReplayer(allocator, null, () -> true).replay(RECORDING, sink, Optional.of("r"), work.resolve("base"),
          RunReplayer.Pace.FAST, 0, Long.MAX_VALUE)).isInstanceOf(ReplayStoppedException.class).hasMessageContaining("before its first step");
    }
    assertThat(sink.manifests).as("no manifest sent").isEmpty();
    assertThat(sink.commits).isEmpty();
    try (var left = java.nio.file.Files.list(work)) {
      assertThat(left.flatMap(p -> {
        try {
          return java.nio.file.Files.isDirectory(p) ? java.nio.file.Files.list(p) : java.util.stream.Stream.of(p);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).map(p -> p.getFileName().toString())).as("no base written or left half written").noneMatch(n -> n.startsWith("model.safetensors"));
    }
  }

  /** An abort that fails (the broker away) is attached to the stop, not shown in its place. */
  @Test
  void anAbortThatFailsIsAttachedToTheStop() throws Exception {
    MemorySink sink = new MemorySink() {
      @Override
      public void abortStep() {
        throw new org.apache.kafka.common.KafkaException("broker away");
      }
    };
    AtomicBoolean stopping = new AtomicBoolean();
    sink.onBegin = step -> stopping.set(true);
    try (RootAllocator allocator = new RootAllocator()) {
      assertThatThrownBy(() -> new RunReplayer(allocator, null, stopping::get).replay(RECORDING, sink, Optional.of("r"), work.resolve("base"),
          RunReplayer.Pace.FAST, 0, Long.MAX_VALUE)).isInstanceOfSatisfying(ReplayStoppedException.class,
              e -> assertThat(e.getSuppressed()).singleElement().satisfies(x -> assertThat(x).hasMessage("broker away")));
    }
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
