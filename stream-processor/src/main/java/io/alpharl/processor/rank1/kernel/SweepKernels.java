package io.alpharl.processor.rank1.kernel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link SweepKernel} at start-up: the vector kernel where the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (the {@code alpharl} launcher, the Docker image and
 * the tests do), the scalar one otherwise, with one line saying so. Both give the same bits.
 */
public final class SweepKernels {
  private static final Logger LOG = LoggerFactory.getLogger(SweepKernels.class);
  static final String VECTOR_MODULE = "jdk.incubator.vector";

  private static final SweepKernel BEST = choose();

  private SweepKernels() {}

  /** The fastest kernel this JVM can run; stateless, so one is shared. */
  public static SweepKernel best() {
    return BEST;
  }

  /** Whether the vector kernel can load in this JVM. */
  public static boolean vectorAvailable() {
    return ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent();
  }

  /** The vector kernel; only where {@link #vectorAvailable()}. */
  public static SweepKernel vector() {
    if (!vectorAvailable()) {
      throw new IllegalStateException("the JVM was started without --add-modules " + VECTOR_MODULE);
    }
    return new VectorKernel();
  }

  private static SweepKernel choose() {
    if (vectorAvailable()) {
      try {
        SweepKernel kernel = new VectorKernel();
        LOG.info("sweep kernel: {}", kernel.name());
        return kernel;
      } catch (RuntimeException | LinkageError e) {
        LOG.info("sweep kernel: scalar (the vector kernel did not load: {})", e.toString());
        return new LaneOrderKernel();
      }
    }
    LOG.info("sweep kernel: scalar, about half as fast (start the JVM with --add-modules {} for the vector kernel; same results)",
        VECTOR_MODULE);
    return new LaneOrderKernel();
  }
}
