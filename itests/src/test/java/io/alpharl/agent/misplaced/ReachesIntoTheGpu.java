package io.alpharl.agent.misplaced;

import io.alpharl.processor.rank1.CpuRank1Backend;
import jcuda.driver.JCudaDriver;

/**
 * A deliberately misplaced class for {@code LayeringTest}: agent code that imports JCuda and the
 * processor. It only exists to show that the rules fail on such imports; it is test code, which
 * the rules over the product's classes leave out.
 */
final class ReachesIntoTheGpu {
  private ReachesIntoTheGpu() {}

  static String misplaced() {
    return JCudaDriver.class.getName() + CpuRank1Backend.class.getName();
  }
}
