package io.alpharl.fit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.NormOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

class NoiseConcentrationTest {

  @Test
  void isWhatADenseSvdOfGaussianNoiseGives() {
    Random random = new Random(7);
    for (int[] shape : new int[][] {{300, 300}, {200, 800}, {640, 160}}) {
      int m = shape[0];
      int n = shape[1];
      DMatrixRMaj a = new DMatrixRMaj(m, n);
      for (int i = 0; i < a.data.length; i++) {
        a.data[i] = random.nextGaussian();
      }
      SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, false, false, true);
      assertThat(svd.decompose(a.copy())).isTrue();
      double sigma1 = 0;
      for (double s : svd.getSingularValues()) {
        sigma1 = Math.max(sigma1, s);
      }
      double measured = sigma1 / NormOps_DDRM.normF(a);
      // The edge is reached from below with fluctuations of order n^(-2/3): a few percent at these sizes.
      assertThat(measured / NoiseConcentration.of(m, n)).as("%d x %d", m, n).isCloseTo(1.0, within(0.04));
    }
    assertThat(NoiseConcentration.of(896, 4864)).isCloseTo(0.04775, within(1e-5));
    assertThatThrownBy(() -> NoiseConcentration.of(0, 5)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFlatSpectrumIsAtLeastHalfOfNoise() {
    // An orthogonal-like matrix (all singular values equal) has the lowest concentration there is: 1/√min(m, n).
    assertThat(NoiseConcentration.ratio(1 / Math.sqrt(300), 300, 300)).isCloseTo(0.5, within(1e-12));
    assertThat(NoiseConcentration.ratio(1 / Math.sqrt(200), 200, 800)).isGreaterThan(0.5);
  }
}
