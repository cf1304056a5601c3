package io.alpharl.extrapolator.gpu;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackendContract;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/** The same contract on a CUDA device; skipped, with the reason printed, where none is usable. */
@Tag("gpu")
class CudaExtrapolationBackendTest extends ExtrapolationBackendContract {
  @Override
  protected ExtrapolationBackend createBackend() {
    try {
      return CudaExtrapolationBackend.open(0);
    } catch (RuntimeException | LinkageError e) {
      String reason = "no usable CUDA device: " + e;
      System.out.println("GPU suite skipped: " + reason);
      Assumptions.abort(reason);
      throw new AssertionError("unreachable");
    }
  }
}
