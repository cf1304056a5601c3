package io.alpharl.processor.rank1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.List;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.RandomMatrices_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every {@link Rank1Backend} must satisfy, checked against EJML's dense SVD. Subclasses give
 * the backend; GPU subclasses skip themselves where no device is present.
 *
 * <p>Tolerances: |cos(u, u_ref)| and |cos(v, v_ref)| ≥ 0.9999, σ1 within 1e-4 relative, ‖A‖_F
 * within 1e-6 relative. The hard matrices have σ2/σ1 from 0.9 to 0.99 and put 2-5 % of their
 * energy in σ1², like real RL updates.
 */
public abstract class Rank1BackendContract {
  private static final Logger LOG = LoggerFactory.getLogger(Rank1BackendContract.class);
  private Rank1Backend backend;

  protected abstract Rank1Backend createBackend();

  /** The solver's settings every case runs with. */
  protected Rank1Settings settings() {
    return Rank1Settings.defaults();
  }

  @BeforeEach
  void open() {
    backend = createBackend();
  }

  @AfterEach
  void close() {
    backend.close();
  }

  @ParameterizedTest(name = "{0} x {1}, sigma2/sigma1 = {2}")
  @CsvSource({
      "64, 48, 0.5",
      "128, 96, 0.9",
      "96, 128, 0.95",
      "300, 200, 0.99",
      "700, 600, 0.9",
      "1, 40, 0.0",
      "40, 1, 0.0"})
  void matchesDenseSvd(int m, int n, double gap) {
    Random r = new Random(m * 31L + n);
    DMatrixRMaj a = withSpectrum(m, n, gap, r);
    Rank1Result got = backend.leading(toFloat(a), m, n, null, settings());
    Reference ref = reference(toDouble(toFloat(a), m, n));

    double energyShare = ref.sigma1 * ref.sigma1 / (ref.frobenius * ref.frobenius);
    LOG.info("{} {}x{} sigma2/sigma1={}: {} sweeps, converged={}, sigma1 share of energy {}%", backend.name(), m, n, gap,
        got.sweeps(), got.converged(), String.format("%.1f", 100 * energyShare));
    assertThat(got.converged()).isTrue();
    assertThat(Math.abs(cos(got.u(), ref.u))).as("|cos(u, u_ref)|").isGreaterThanOrEqualTo(0.9999);
    assertThat(Math.abs(cos(got.v(), ref.v))).as("|cos(v, v_ref)|").isGreaterThanOrEqualTo(0.9999);
    assertThat(Math.abs(got.sigma1() - ref.sigma1) / ref.sigma1).as("sigma1 relative error").isLessThanOrEqualTo(1e-4);
    assertThat(Math.abs(got.frobenius() - ref.frobenius) / ref.frobenius).as("Frobenius relative error").isLessThanOrEqualTo(1e-6);
    assertThat(dotProduct(got.u(), got.u())).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
    DMatrixRMaj stored = toDouble(toFloat(a), m, n);
    checkStoppingRule(stored, got.v(), got.sigma1(), got.residual(), ref, "v_1");
  }

  /**
   * The stopping rule, checked here rather than read from the solver: ‖AᵀA v − σ² v‖ / σ² at most the
   * tolerance (with the rounding of the check's own sums), the residual the solver reports equal to it
   * (the solver forms it from the block's Gram matrix, not the vector), and the angle to EJML's
   * vector within what that residual allows: sin ∠ ≤ tol · σ1² / (σ1² − σ2²), twice for rounding.
   * A solve that stopped a hundred times early met the fixed 0.9999 cosine above on every matrix here.
   */
  private void checkStoppingRule(DMatrixRMaj a, double[] v, double sigma, double reported, Reference ref, String name) {
    checkResidual(a, v, sigma, reported, name);
    if (ref.sigma2 < ref.sigma1) {
      double gap = ref.sigma1 * ref.sigma1 - ref.sigma2 * ref.sigma2;
      double bound = 2 * settings().relativeResidual() * ref.sigma1 * ref.sigma1 / gap;
      double c = Math.min(1, Math.abs(cos(v, ref.v)));
      assertThat(Math.sqrt(1 - c * c)).as("sin ∠(%s, EJML's)", name).isLessThanOrEqualTo(bound + 1e-7);
    }
  }

  /** ‖AᵀA v − σ² v‖ / σ² computed here at most the tolerance, and the residual the solver reports equal to it. */
  private void checkResidual(DMatrixRMaj a, double[] v, double sigma, double reported, String name) {
    double tol = settings().relativeResidual();
    double direct = eigenResidual(a, v, sigma);
    assertThat(direct).as("‖AᵀA %s − σ² %s‖ / σ², computed here", name, name).isLessThanOrEqualTo(1.01 * tol + 1e-12);
    assertThat(reported).as("the residual the solver reports for %s", name).isCloseTo(direct, offset(0.05 * tol));
  }

  /** ‖Aᵀ(A v) − σ² v‖ / σ² in double from A's stored values. */
  private static double eigenResidual(DMatrixRMaj a, double[] v, double sigma) {
    int m = a.numRows;
    int n = a.numCols;
    double[] av = new double[m];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        av[i] += a.get(i, j) * v[j];
      }
    }
    double squared = 0;
    for (int j = 0; j < n; j++) {
      double ata = 0;
      for (int i = 0; i < m; i++) {
        ata += a.get(i, j) * av[i];
      }
      double d = ata - sigma * sigma * v[j];
      squared += d * d;
    }
    return Math.sqrt(squared) / (sigma * sigma);
  }

  @Test
  void warmStartFromTheLastStepConvergesInAFewSweeps() {
    Random r = new Random(5);
    int m = 256;
    int n = 192;
    DMatrixRMaj a = withSpectrum(m, n, 0.9, r);
    Rank1Result cold = backend.leading(toFloat(a), m, n, null, settings());
    // The next step: the same update plus an increment of a few per cent of it, as in training.
    DMatrixRMaj next = a.copy();
    DMatrixRMaj noise = RandomMatrices_DDRM.rectangle(m, n, -1, 1, r);
    double typical = org.ejml.dense.row.NormOps_DDRM.normF(a) / Math.sqrt((double) m * n);
    CommonOps_DDRM.addEquals(next, 0.03 * typical, noise);
    Rank1Result warm = backend.leading(toFloat(next), m, n, cold.v(), settings());
    Reference ref = reference(next);
    LOG.info("{}: cold start {} sweeps, warm start {} sweeps", backend.name(), cold.sweeps(), warm.sweeps());
    assertThat(Math.abs(cos(warm.u(), ref.u))).isGreaterThanOrEqualTo(0.9999);
    assertThat(warm.sweeps()).isLessThan(cold.sweeps());
  }

  @ParameterizedTest(name = "top {2} of {0} x {1}")
  @CsvSource({"120, 90, 4", "300, 200, 3", "64, 3, 5"})
  void topFactorsMatchDenseSvd(int m, int n, int k) {
    Random r = new Random(m * 7L + n + k);
    DMatrixRMaj a = withSpectrum(m, n, 0.9, r);
    TopFactors got = backend.leading(toFloat(a), m, n, (double[][]) null, k, settings());
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(m, n, true, true, false);
    assertThat(svd.decompose(toDouble(toFloat(a), m, n))).isTrue();
    double[] sv = svd.getSingularValues();
    Integer[] order = new Integer[sv.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (x, y) -> Double.compare(sv[y], sv[x]));
    DMatrixRMaj u = svd.getU(null, false);
    DMatrixRMaj vRef = svd.getV(null, false);
    DMatrixRMaj stored = toDouble(toFloat(a), m, n);
    int want = Math.min(k, n);
    assertThat(got.rank()).isEqualTo(want);
    assertThat(got.converged()).isTrue();
    LOG.info("{} top {} of {}x{}: {} sweeps", backend.name(), want, m, n, got.sweeps());
    for (int f = 0; f < want; f++) {
      double want1 = sv[order[f]];
      assertThat(Math.abs(got.sigmas()[f] - want1) / want1).as("sigma_%d relative error", f + 1).isLessThanOrEqualTo(1e-4);
      // Directions are defined where the pair is separated from its neighbours.
      double gapBefore = f == 0 ? Double.POSITIVE_INFINITY : sv[order[f - 1]] - want1;
      double gapAfter = f + 1 < sv.length ? want1 - sv[order[f + 1]] : Double.POSITIVE_INFINITY;
      if (Math.min(gapBefore, gapAfter) > 0.01 * want1) {
        double[] ref = new double[m];
        for (int i = 0; i < m; i++) {
          ref[i] = u.get(i, order[f]);
        }
        assertThat(Math.abs(cos(got.u()[f], ref))).as("|cos(u_%d, u_ref)|", f + 1).isGreaterThanOrEqualTo(0.999);
        double[] refV = new double[n];
        for (int j = 0; j < n; j++) {
          refV[j] = vRef.get(j, order[f]);
        }
        assertThat(Math.abs(cos(got.v()[f], refV))).as("|cos(v_%d, v_ref)|", f + 1).isGreaterThanOrEqualTo(0.999);
      }
      // u_f, σ_f and v_f belong together, signs included: A v_f = σ_f u_f, whether or not the direction is separated.
      double residual = 0;
      for (int i = 0; i < m; i++) {
        double av = 0;
        for (int j = 0; j < n; j++) {
          av += stored.get(i, j) * got.v()[f][j];
        }
        double d = av - got.sigmas()[f] * got.u()[f][i];
        residual += d * d;
      }
      assertThat(Math.sqrt(residual) / got.sigmas()[f]).as("‖A v_%d − σ_%d u_%d‖ / σ_%d", f + 1, f + 1, f + 1, f + 1).isLessThanOrEqualTo(1e-4);
      for (int g = 0; g < f; g++) {
        assertThat(Math.abs(dotProduct(got.v()[f], got.v()[g]))).as("v_%d ⟂ v_%d", f + 1, g + 1).isLessThan(1e-8);
      }
      checkResidual(stored, got.v()[f], got.sigmas()[f], got.residuals()[f], "v_" + (f + 1));
    }
  }

  @Test
  void aMatrixOfLowerRankThanAskedGivesItsExactFactorsAsConverged() {
    Random r = new Random(17);
    int m = 60;
    int n = 40;
    DMatrixRMaj u = RandomMatrices_DDRM.orthogonal(m, 2, r);
    DMatrixRMaj v = RandomMatrices_DDRM.orthogonal(n, 2, r);
    DMatrixRMaj a = new DMatrixRMaj(m, n);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        a.set(i, j, 3e-3 * u.get(i, 0) * v.get(j, 0) + 1e-3 * u.get(i, 1) * v.get(j, 1));
      }
    }
    TopFactors got = backend.leading(toFloat(a), m, n, (double[][]) null, 4, settings());
    assertThat(got.converged()).as("an invariant Krylov space gives exact Ritz pairs").isTrue();
    assertThat(got.rank()).isGreaterThanOrEqualTo(2);
    assertThat(got.sigmas()[0]).isCloseTo(3e-3, org.assertj.core.data.Offset.offset(3e-3 * 1e-5));
    assertThat(got.sigmas()[1]).isCloseTo(1e-3, org.assertj.core.data.Offset.offset(1e-3 * 1e-4));
    for (int f = 2; f < got.rank(); f++) {
      assertThat(got.sigmas()[f]).as("sigma_%d of a rank-2 matrix", f + 1).isLessThan(1e-3 * 1e-4);
    }
  }

  /**
   * A warm start from the last step's vector grows a Krylov space that holds nothing of a part of
   * A it never touched: a sparse early ΔW whose new entries lie in another block was published as
   * converged with that block's σ1 missed (1e-3 where it is 5e-3). Checked against EJML's dense SVD.
   */
  @Test
  void aWarmStartFindsTheTopPairInAPartOfATheLastStepNeverTouched() {
    int m = 8;
    int n = 9;
    float[] first = new float[m * n];
    first[0 * n + 1] = 1e-3f;
    TopFactors one = backend.leading(first, m, n, (double[][]) null, 1, settings());
    float[] second = first.clone();
    second[5 * n + 6] = 5e-3f;
    TopFactors two = backend.leading(second, m, n, one.v(), 1, settings());
    assertThat(two.sigmas()[0]).isCloseTo(topSingularValue(second, m, n), org.assertj.core.data.Offset.offset(5e-3 * 1e-6));
    assertThat(Math.abs(two.v()[0][6])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
  }

  /**
   * The fresh direction found at a breakdown may start near the new part's small singular vector
   * (the weights of the column sum nearly along its left one): its Rayleigh quotient lay under the
   * old pair's, which stayed exact beside it, and the solve ended at once on the old σ1 (1e-3 where
   * the new block's is 2e-3). It is grown a few sweeps before the residual test may end the solve.
   */
  @Test
  void aFreshDirectionStartingNearTheNewPartsSmallVectorIsGrownToItsTopOne() {
    int m = 6;
    int n = 6;
    float[] first = new float[m * n];
    first[0 * n + 1] = 1e-3f;
    TopFactors one = backend.leading(first, m, n, (double[][]) null, 1, settings());
    // The fresh column sum's weights on rows 2 and 3, as the solver makes them: 1 + sin(2 (i + 1)) / 2.
    double w2 = 1 + 0.5 * StrictMath.sin(2 * 3.0);
    double w3 = 1 + 0.5 * StrictMath.sin(2 * 4.0);
    double angle = Math.atan2(w3, w2) + 0.01; // the small left vector 0.01 rad off the weights: its Rayleigh quotient about 1.6e-7
    double[] uSmall = {Math.cos(angle), Math.sin(angle)};
    double[] uBig = {-uSmall[1], uSmall[0]};
    double[] vBig = {0.6, 0.8};
    double[] vSmall = {-0.8, 0.6};
    float[] second = first.clone();
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 2; j++) {
        second[(2 + i) * n + 2 + j] = (float) (2e-3 * uBig[i] * vBig[j] + 1e-4 * uSmall[i] * vSmall[j]);
      }
    }
    TopFactors two = backend.leading(second, m, n, one.v(), 1, settings());
    assertThat(two.sigmas()[0]).isCloseTo(topSingularValue(second, m, n), org.assertj.core.data.Offset.offset(2e-3 * 1e-5));
  }

  /**
   * A space grown from one vector holds one direction of a repeated singular value: diag(3, 3, 2, 1)
   * gave σ1, σ2 = 3, 2 as converged, and three factors where four were asked.
   */
  @Test
  void aRepeatedTopSingularValueIsFoundTwiceAndEveryFactorAskedComes() {
    int m = 4;
    int n = 4;
    float[] a = new float[m * n];
    float[] diagonal = {3, 3, 2, 1};
    for (int i = 0; i < 4; i++) {
      a[i * n + i] = diagonal[i];
    }
    TopFactors two = backend.leading(a, m, n, (double[][]) null, 2, settings());
    // Within float sweeps' rounding (the float backend runs this contract too); a missed copy of 3 is 2.
    assertThat(two.sigmas()).containsExactly(new double[] {3, 3}, org.assertj.core.data.Offset.offset(1e-6));
    TopFactors four = backend.leading(a, m, n, (double[][]) null, 4, settings());
    assertThat(four.rank()).isEqualTo(4);
    assertThat(four.sigmas()).containsExactly(new double[] {3, 3, 2, 1}, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(four.converged()).isTrue();
  }

  /** σ1 of a row-major m × n matrix by EJML's dense SVD: the reference the solver is checked against. */
  private static double topSingularValue(float[] a, int m, int n) {
    DMatrixRMaj d = new DMatrixRMaj(m, n);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        d.set(i, j, a[i * n + j]);
      }
    }
    org.ejml.interfaces.decomposition.SingularValueDecomposition_F64<DMatrixRMaj> svd = org.ejml.dense.row.factory.DecompositionFactory_DDRM.svd(m, n,
        false, false, true);
    assertThat(svd.decompose(d)).isTrue();
    return java.util.Arrays.stream(svd.getSingularValues()).max().orElseThrow();
  }

  @Test
  void zeroMatrixGivesZeroSigma() {
    Rank1Result got = backend.leading(new float[12], 3, 4, null, settings());
    assertThat(got.sigma1()).isZero();
    assertThat(got.frobenius()).isZero();
  }

  @Test
  void zeroMatrixGivesOrthonormalRightVectorsWhateverTheWarmStart() {
    double[][] warm = {{0.6, 0.8, 0, 0, 0}, {0.6, 0.8, 0, 0, 0}, {0, 0, 0, 0, 1}};
    TopFactors cold = backend.leading(new float[15], 3, 5, null, 3, settings());
    TopFactors warmed = backend.leading(new float[15], 3, 5, warm, 3, settings());
    for (TopFactors f : List.of(cold, warmed)) {
      assertThat(f.sigmas()).containsExactly(0, 0, 0);
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          double d = 0;
          for (int c = 0; c < 5; c++) {
            d += f.v()[i][c] * f.v()[j][c];
          }
          assertThat(d).as("v%d . v%d", i, j).isCloseTo(i == j ? 1 : 0, offset(1e-12));
        }
      }
    }
    assertThat(warmed.v()).isDeepEqualTo(cold.v());
  }

  /** A = U diag(σ) Vᵀ with σ1 = 1, σ2 = gap, the rest spread below σ2. */
  static DMatrixRMaj withSpectrum(int m, int n, double gap, Random r) {
    int k = Math.min(m, n);
    DMatrixRMaj u = RandomMatrices_DDRM.orthogonal(m, k, r);
    DMatrixRMaj v = RandomMatrices_DDRM.orthogonal(n, k, r);
    DMatrixRMaj s = new DMatrixRMaj(k, k);
    for (int i = 0; i < k; i++) {
      s.set(i, i, i == 0 ? 1 : i == 1 ? gap : gap * (0.3 + 0.68 * r.nextDouble()));
    }
    DMatrixRMaj us = new DMatrixRMaj(m, k);
    CommonOps_DDRM.mult(u, s, us);
    DMatrixRMaj a = new DMatrixRMaj(m, n);
    CommonOps_DDRM.multTransB(us, v, a);
    CommonOps_DDRM.scale(1e-3, a); // the size of an RL update to a weight matrix
    return a;
  }

  record Reference(double sigma1, double[] u, double[] v, double frobenius, double sigma2) {}

  static Reference reference(DMatrixRMaj a) {
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(a.numRows, a.numCols, true, true, false);
    if (!svd.decompose(a.copy())) {
      throw new IllegalStateException("EJML SVD failed");
    }
    DMatrixRMaj uMat = svd.getU(null, false);
    DMatrixRMaj w = svd.getW(null);
    DMatrixRMaj vMat = svd.getV(null, false);
    SingularOps_DDRM.descendingOrder(uMat, false, w, vMat, false);
    double[] u = new double[a.numRows];
    double[] v = new double[a.numCols];
    for (int i = 0; i < u.length; i++) {
      u[i] = uMat.get(i, 0);
    }
    for (int i = 0; i < v.length; i++) {
      v[i] = vMat.get(i, 0);
    }
    return new Reference(w.get(0, 0), u, v, org.ejml.dense.row.NormOps_DDRM.normF(a), Math.min(a.numRows, a.numCols) > 1 ? w.get(1, 1) : 0);
  }

  static float[] toFloat(DMatrixRMaj a) {
    float[] out = new float[a.getNumElements()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.data[i];
    }
    return out;
  }

  static DMatrixRMaj toDouble(float[] a, int m, int n) {
    DMatrixRMaj out = new DMatrixRMaj(m, n);
    for (int i = 0; i < a.length; i++) {
      out.data[i] = a[i];
    }
    return out;
  }

  static double cos(double[] x, double[] y) {
    return dotProduct(x, y) / Math.sqrt(dotProduct(x, x) * dotProduct(y, y));
  }

  static double dotProduct(double[] x, double[] y) {
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += x[i] * y[i];
    }
    return s;
  }
}
