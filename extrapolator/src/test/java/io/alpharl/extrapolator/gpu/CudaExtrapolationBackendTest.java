package io.alpharl.extrapolator.gpu;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackendContract;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * The same contract on a CUDA device; skipped, with the reason printed, where none is usable.
 * Blocks of 64 KiB, so that the contract's larger matrices go through the two-stream pipeline in
 * many blocks, the last one partial (300 × 2049: 43 blocks of 7 rows, then 6).
 */
@Tag("gpu")
class CudaExtrapolationBackendTest extends ExtrapolationBackendContract {
  @Override
  protected ExtrapolationBackend createBackend() {
    try {
      return CudaExtrapolationBackend.open(0, 64 * 1024);
    } catch (RuntimeException | LinkageError e) {
      String reason = "no usable CUDA device: " + e;
      System.out.println("GPU suite skipped: " + reason);
      Assumptions.abort(reason);
      throw new AssertionError("unreachable");
    }
  }
}
