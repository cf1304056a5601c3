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
    return open(64 * 1024);
  }

  /**
   * The production chunk (8 MiB) on the shapes it meets: Qwen2.5-0.5B's embedding (152064 × 896,
   * 65 blocks, first rows up to about 150k) at rank 4 and an MLP matrix at rank 7, bit for bit the
   * CPU backend's, with the subnormal products and base values the contract's Gaussian inputs never
   * reach (a JIT that flushed them to zero would differ here). The contract above runs small
   * matrices in 64 KiB blocks only. About 1.6 GB of heap.
   */
  @org.junit.jupiter.api.Test
  void productionChunksOnRealShapesGiveTheCpusBits() {
    try (ExtrapolationBackend cuda = open(CudaExtrapolationBackend.DEFAULT_CHUNK_BYTES);
        io.alpharl.extrapolator.backend.CpuExtrapolationBackend cpu = new io.alpharl.extrapolator.backend.CpuExtrapolationBackend(2)) {
      int[][] shapes = {{152_064, 896, 4}, {4_864, 896, 7}};
      java.util.Random r = new java.util.Random(11);
      for (int[] s : shapes) {
        int m = s[0];
        int n = s[1];
        int rank = s[2];
        float[] base = new float[m * n];
        for (int i = 0; i < base.length; i++) {
          base[i] = i % 97 == 0 ? 1e-39f * (r.nextFloat() - 0.5f) : (float) (r.nextGaussian() * 0.02);
        }
        float[] x = new float[rank * m];
        float[] v = new float[rank * n];
        for (int i = 0; i < x.length; i++) {
          x[i] = i % 89 == 0 ? 1e-20f : (float) (r.nextGaussian() * 0.01);
        }
        for (int i = 0; i < v.length; i++) {
          v[i] = i % 83 == 0 ? 1e-20f : (float) (r.nextGaussian() / Math.sqrt(n));
        }
        float[] want = new float[base.length];
        float[] got = new float[base.length];
        cpu.lowRankUpdate(base, m, n, x, v, rank, want);
        cuda.lowRankUpdate(base, m, n, x, v, rank, got);
        int first = java.util.stream.IntStream.range(0, want.length).filter(i -> Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i]))
            .findFirst().orElse(-1);
        org.assertj.core.api.Assertions.assertThat(first).as("first element differing from the CPU's bits at %d x %d, rank %d%s", m, n, rank,
            first < 0 ? "" : ": " + got[first] + " against " + want[first]).isEqualTo(-1);
      }
    }
  }

  private static ExtrapolationBackend open(long chunkBytes) {
    try {
      return CudaExtrapolationBackend.open(0, chunkBytes);
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
