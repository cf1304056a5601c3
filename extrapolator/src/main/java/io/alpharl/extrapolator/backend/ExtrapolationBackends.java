package io.alpharl.extrapolator.backend;

import io.alpharl.extrapolator.gpu.CudaExtrapolationBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the extrapolation backend at start-up: CUDA when a device is usable, otherwise the CPU, saying which and why in one line. */
public final class ExtrapolationBackends {
  private static final Logger LOG = LoggerFactory.getLogger(ExtrapolationBackends.class);

  /** What to use. */
  public enum Choice {
    /** CUDA if a device is usable, else CPU; the CPU also takes over from a device that fails later ({@link CpuAfterFailure}). */
    AUTO,
    CPU,
    CUDA
  }

  private ExtrapolationBackends() {}

  /**
   * @throws IllegalStateException when CUDA is demanded ({@link Choice#CUDA}) and unusable; its message is one line saying why
   */
  public static ExtrapolationBackend create(Choice choice, int cpuThreads) {
    int threads = cpuThreads > 0 ? cpuThreads : Runtime.getRuntime().availableProcessors();
    if (choice == Choice.CPU) {
      ExtrapolationBackend cpu = new CpuExtrapolationBackend(threads);
      LOG.info("extrapolation backend: {} (chosen by setting)", cpu.name());
      return cpu;
    }
    try {
      ExtrapolationBackend cuda = CudaExtrapolationBackend.open(0);
      LOG.info("extrapolation backend: {}", cuda.name());
      // Demanded, CUDA's failures are the user's to see; chosen here, the CPU takes over from a device that fails.
      return choice == Choice.CUDA ? cuda : new CpuAfterFailure(cuda, () -> new CpuExtrapolationBackend(threads));
    } catch (RuntimeException | LinkageError e) {
      String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
      if (choice == Choice.CUDA) {
        throw new IllegalStateException("CUDA backend requested but unusable: " + why, e);
      }
      ExtrapolationBackend cpu = new CpuExtrapolationBackend(threads);
      LOG.info("extrapolation backend: {} (no usable CUDA device: {})", cpu.name(), why);
      return cpu;
    }
  }
}
