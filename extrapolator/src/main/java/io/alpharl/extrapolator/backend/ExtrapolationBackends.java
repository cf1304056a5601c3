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
      String why = why(e);
      if (choice == Choice.CUDA) {
        throw new IllegalStateException("CUDA backend requested but unusable: " + why, e);
      }
      ExtrapolationBackend cpu = new CpuExtrapolationBackend(threads);
      if (CudaExtrapolationBackend.whyNoDevice() == null) {
        // A device is there and the backend did not open on it: a defect or a setup to mend, not a machine without a GPU.
        LOG.warn("extrapolation backend: {}, though a CUDA device is present: the CUDA backend did not open on it ({})", cpu.name(), why, e);
      } else {
        LOG.info("extrapolation backend: {} (no usable CUDA device: {})", cpu.name(), why);
      }
      return cpu;
    }
  }

  /**
   * The failure's first line, and its root cause's where that is another: JCuda's native library
   * error begins "Error while loading native library" and says why (libcuda.so.1 missing, /tmp not
   * executable) only further down.
   */
  static String why(Throwable e) {
    String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
    Throwable root = io.alpharl.proto.error.Causes.root(e);
    String rootSays = root.getMessage() == null ? root.toString() : root.getMessage().replaceAll("\\s+", " ").strip();
    return root == e ? first : first + " (" + root.getClass().getSimpleName() + ": " + rootSays + ")";
  }
}
