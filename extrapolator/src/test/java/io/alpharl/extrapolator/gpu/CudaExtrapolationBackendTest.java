package io.alpharl.extrapolator.gpu;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackendContract;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;

/**
 * The same contract on a CUDA device. Skipped, with the reason printed, only where there is no
 * device to run on (no driver, or none present); where one is present, a backend that does not
 * open (a kernel the driver will not load, a context refused) fails the test rather than skip it,
 * so a green GPU run means the kernel ran. {@code -Dalpharl.gpu.required=true} (the GPU suite,
 * {@code bench/gpu-suite}) fails even where no device is found. Blocks of 64 KiB,
 * so that the contract's larger matrices go through the two-stream pipeline in many blocks, the
 * last one partial (300 × 2049: 43 blocks of 7 rows, then 6).
 */
@Tag("gpu")
class CudaExtrapolationBackendTest extends ExtrapolationBackendContract {
  static final String REQUIRED = "alpharl.gpu.required";

  @Override
  protected ExtrapolationBackend createBackend() {
    try {
      return CudaExtrapolationBackend.open(0, 64 * 1024);
    } catch (RuntimeException | LinkageError e) {
      String why = CudaExtrapolationBackend.whyNoDevice();
      if (why == null) {
        throw new AssertionError("a CUDA device is present but the backend does not open", e);
      }
      if (Boolean.getBoolean(REQUIRED)) {
        throw new AssertionError("-D" + REQUIRED + "=true but no CUDA device: " + why, e);
      }
      System.out.println("GPU suite skipped: no usable CUDA device: " + why);
      Assumptions.abort("no usable CUDA device: " + why);
      throw new AssertionError("unreachable");
    }
  }
}
