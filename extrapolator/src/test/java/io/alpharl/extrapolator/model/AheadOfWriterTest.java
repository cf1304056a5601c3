package io.alpharl.extrapolator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
