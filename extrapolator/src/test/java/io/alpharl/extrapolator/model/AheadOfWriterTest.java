package io.alpharl.extrapolator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AheadOfWriterTest {
  @Test
  void givesEachTensorInOrderComputedOnOneWorkerThread() throws IOException {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    try (AheadOfWriter ahead = new AheadOfWriter(List.of("a", "bb", "ccc"), name -> {
      threads.add(Thread.currentThread().getName());
      return new float[name.length()];
    })) {
      assertThat(ahead.take("a")).hasSize(1);
      assertThat(ahead.take("bb")).hasSize(2);
      assertThat(ahead.take("ccc")).hasSize(3);
    }
    assertThat(threads).containsExactly("alpharl-predict-compute");
  }

  /**
   * Tensor k's values beside tensor k+1's values and sum were three copies of the largest tensor
   * where two large ones come one after the other (a 7B model's head and embedding, 2.2 GB each):
   * past the budget the next waits until the writer asks for it, having let go of the one before.
   */
  @Test
  void theNextTensorWaitsForTheWriterWhereBothWouldPassTheBudget() throws Exception {
    Map<String, Long> elements = Map.of("small", 4L, "large", 100L, "last", 4L);
    CountDownLatch largeStarted = new CountDownLatch(1);
    CountDownLatch lastStarted = new CountDownLatch(1);
    // 16 bytes of "small" beside 800 of "large" pass 500; 400 of "large" beside 32 of "last" do not.
    try (AheadOfWriter ahead = new AheadOfWriter(List.of("small", "large", "last"), elements::get, 500, name -> {
      (name.equals("large") ? largeStarted : name.equals("last") ? lastStarted : new CountDownLatch(1)).countDown();
      return new float[(int) (long) elements.get(name)];
    })) {
      assertThat(ahead.take("small")).hasSize(4);
      assertThat(largeStarted.await(300, TimeUnit.MILLISECONDS)).as("large computed while small is still being written").isFalse();
      assertThat(ahead.take("large")).hasSize(100);
      assertThat(lastStarted.await(10, TimeUnit.SECONDS)).as("last computed ahead, within the budget").isTrue();
      assertThat(ahead.take("last")).hasSize(4);
    }
  }

  @Test
  void anAskOutOfOrderIsRefusedWithBothNames() throws IOException {
    try (AheadOfWriter ahead = new AheadOfWriter(List.of("a", "b"), name -> new float[1])) {
      assertThatThrownBy(() -> ahead.take("b")).isInstanceOf(IllegalStateException.class).hasMessage("the writer asked for b where a was next");
    }
  }

  @Test
  void aFailedComputationSurfacesWithItsOwnError() {
    try (AheadOfWriter ahead = new AheadOfWriter(List.of("a", "b"), name -> {
      if (name.equals("b")) {
        throw new IOException("b: truncated file");
      }
      return new float[1];
    })) {
      assertThatThrownBy(() -> {
        ahead.take("a");
        ahead.take("b");
      }).isInstanceOf(IOException.class).hasMessage("b: truncated file");
    }
  }
}
