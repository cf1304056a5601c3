package io.alpharl.extrapolator.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A device failing mid-write under AUTO: the CPU takes over and writes the bits the device would
 * have (checked against the CPU backend itself); an in-place update, perhaps partly written, is
 * handed back to the caller to start over.
 */
class CpuAfterFailureTest {
  private static final float[] X = {1, -1};
  private static final float[] V = {0.5f, 0, 2};

  /** A device that fails every call after writing garbage into {@code out}, as a failure part way through a pipeline may. */
  private static final class FailingDevice implements ExtrapolationBackend {
    final AtomicInteger calls = new AtomicInteger();
    boolean closed;

    @Override
    public void rankOneUpdate(float[] base, int m, int n, float[] x, float[] v, float[] out) {
      calls.incrementAndGet();
      out[0] = Float.NaN;
      throw new IllegalStateException("cuEventSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS");
    }

    @Override
    public String name() {
      return "cuda(test)";
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void aFailedUpdateIsMadeOnTheCpuWithTheSameBitsAndTheCpuKeepsTheRest() {
    FailingDevice device = new FailingDevice();
    AtomicInteger cpusMade = new AtomicInteger();
    float[] base = {1, 2, 3, 4, 5, 6};
    float[] expected = new float[6];
    try (CpuExtrapolationBackend reference = new CpuExtrapolationBackend(1);
        CpuAfterFailure backend = new CpuAfterFailure(device, () -> {
          cpusMade.incrementAndGet();
          return new CpuExtrapolationBackend(1);
        })) {
      reference.rankOneUpdate(base, 2, 3, X, V, expected);
      float[] out = new float[6];
      backend.rankOneUpdate(base, 2, 3, X, V, out);
      assertThat(out).containsExactly(expected);
      assertThat(base).as("W_0 untouched").containsExactly(1, 2, 3, 4, 5, 6);
      assertThat(device.closed).isTrue();
      assertThat(backend.name()).startsWith("cpu(");

      float[] again = new float[6];
      backend.lowRankUpdate(base, 2, 3, X, V, 1, again);
      assertThat(again).containsExactly(expected);
      assertThat(device.calls).as("the failed device is not asked again").hasValue(1);
      assertThat(cpusMade).hasValue(1);
    }
  }

  @Test
  void anInPlaceUpdateThatFailedIsHandedBackAndTheNextIsMadeOnTheCpu() {
    FailingDevice device = new FailingDevice();
    try (CpuAfterFailure backend = new CpuAfterFailure(device, () -> new CpuExtrapolationBackend(1))) {
      float[] a = {1, 2, 3, 4, 5, 6};
      assertThatThrownBy(() -> backend.rankOneUpdate(a, 2, 3, X, V, a)).hasMessageContaining("CUDA_ERROR_ILLEGAL_ADDRESS");
      float[] b = {1, 2, 3, 4, 5, 6};
      backend.rankOneUpdate(b, 2, 3, X, V, b);
      assertThat(b).containsExactly(1.5f, 2, 5, 3.5f, 5, 4);
      assertThat(device.calls).hasValue(1);
    }
  }

  @Test
  void theCallersWrongShapesAreNotTheDevicesFailure() {
    FailingDevice device = new FailingDevice();
    try (CpuAfterFailure backend = new CpuAfterFailure(device, () -> new CpuExtrapolationBackend(1))) {
      assertThatThrownBy(() -> backend.lowRankUpdate(new float[6], 2, 3, new float[3], new float[3], 1, new float[6]))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(device.closed).isFalse();
      assertThat(backend.name()).isEqualTo("cuda(test)");
    }
  }
}
