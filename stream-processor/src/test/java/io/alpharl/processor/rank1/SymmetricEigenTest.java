package io.alpharl.processor.rank1;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The projected-matrix eigensolver against EJML's symmetric eigendecomposition: eigenvalues within
 * 1e-12 of the largest, descending; unit, orthogonal eigenvectors with ‖T y − λ y‖ ≤ 1e-12 ‖T‖.
 */
class SymmetricEigenTest {
  @ParameterizedTest(name = "{0} x {0}, {1}")
  @CsvSource({"1, random", "2, random", "7, random", "48, random", "30, clustered", "20, diagonal", "12, zero"})
  void matchesEjml(int k, String kind) {
    Random r = new Random(k * 13L + kind.length());
    double[] t = new double[k * k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j <= i; j++) {
        double x = switch (kind) {
          case "random" -> r.nextGaussian();
          // a Lanczos-like spectrum: a few values within 1e-6 of each other
          case "clustered" -> i == j ? 1 + (i < 4 ? 1e-6 * i : -0.5 * r.nextDouble()) : 0;
          case "diagonal" -> i == j ? r.nextGaussian() : 0;
          default -> 0;
        };
        t[i * k + j] = x;
        t[j * k + i] = x;
      }
    }
    if (kind.equals("clustered")) { // rotate so it is not diagonal
      t = rotate(t, k, r);
    }
    double[] original = t.clone();
    double[] values = new double[k];
    double[] vectors = new double[k * k];
    SymmetricEigen.decompose(t, k, values, vectors);

    EigenDecomposition_F64<DMatrixRMaj> ejml = DecompositionFactory_DDRM.eig(k, true, true);
    assertThat(ejml.decompose(new DMatrixRMaj(k, k, true, original))).isTrue();
    double[] want = new double[k];
    for (int i = 0; i < k; i++) {
      want[i] = ejml.getEigenvalue(i).real;
    }
    Arrays.sort(want);
    double norm = 1e-300;
    for (double x : want) {
      norm = Math.max(norm, Math.abs(x));
    }
    for (int i = 0; i < k; i++) {
      assertThat(Math.abs(values[i] - want[k - 1 - i])).as("eigenvalue %d", i).isLessThanOrEqualTo(1e-12 * Math.max(norm, 1));
      if (i > 0) {
        assertThat(values[i]).isLessThanOrEqualTo(values[i - 1]);
      }
      double[] y = new double[k];
      for (int j = 0; j < k; j++) {
        y[j] = vectors[j * k + i];
      }
      for (int j = 0; j <= i; j++) {
        double dot = 0;
        for (int l = 0; l < k; l++) {
          dot += y[l] * vectors[l * k + j];
        }
        assertThat(dot).as("y_%d · y_%d", i, j).isCloseTo(i == j ? 1 : 0, org.assertj.core.data.Offset.offset(1e-12));
      }
      for (int row = 0; row < k; row++) {
        double ty = 0;
        for (int l = 0; l < k; l++) {
          ty += original[row * k + l] * y[l];
        }
        assertThat(Math.abs(ty - values[i] * y[row])).as("residual of pair %d, row %d", i, row).isLessThanOrEqualTo(1e-12 * Math.max(norm, 1));
      }
    }
  }

  /** The solver's convergence test reads only the newest rows: they must be the full decomposition's bits. */
  @ParameterizedTest(name = "{0} x {0}, rows from {1}")
  @CsvSource({"1, 0", "7, 6", "30, 29", "48, 47", "48, 44", "48, 0"})
  void newestRowsAreTheFullDecompositionsBits(int k, int fromRow) {
    Random r = new Random(k * 31L + fromRow);
    double[] t = new double[k * k];
    for (int i = 0; i < k; i++) {
      for (int j = 0; j <= i; j++) {
        t[i * k + j] = r.nextGaussian();
        t[j * k + i] = t[i * k + j];
      }
    }
    double[] fullValues = new double[k];
    double[] full = new double[k * k];
    SymmetricEigen.decompose(t.clone(), k, fullValues, full);
    double[] values = new double[k];
    double[] rows = new double[k * k];
    Arrays.fill(rows, Double.NaN);
    SymmetricEigen.decompose(t.clone(), k, values, rows, fromRow);
    assertThat(values).isEqualTo(fullValues);
    for (int i = 0; i < k; i++) {
      for (int c = 0; c < k; c++) {
        if (i >= fromRow) {
          assertThat(Double.doubleToRawLongBits(rows[i * k + c])).as("row %d, vector %d", i, c).isEqualTo(Double.doubleToRawLongBits(full[i * k + c]));
        } else {
          assertThat(rows[i * k + c]).as("row %d above fromRow is left alone", i).isNaN();
        }
      }
    }
  }

  /** Qᵀ T Q for a random orthogonal Q (Gram–Schmidt of a Gaussian matrix). */
  private static double[] rotate(double[] t, int k, Random r) {
    double[][] q = new double[k][k];
    for (int c = 0; c < k; c++) {
      for (int i = 0; i < k; i++) {
        q[c][i] = r.nextGaussian();
      }
      for (int p = 0; p < 2; p++) {
        for (int b = 0; b < c; b++) {
          double dot = 0;
          for (int i = 0; i < k; i++) {
            dot += q[b][i] * q[c][i];
          }
          for (int i = 0; i < k; i++) {
            q[c][i] -= dot * q[b][i];
          }
        }
      }
      double norm = 0;
      for (int i = 0; i < k; i++) {
        norm += q[c][i] * q[c][i];
      }
      for (int i = 0; i < k; i++) {
        q[c][i] /= Math.sqrt(norm);
      }
    }
    double[] out = new double[k * k];
    for (int a = 0; a < k; a++) {
      for (int b = 0; b < k; b++) {
        double s = 0;
        for (int i = 0; i < k; i++) {
          for (int j = 0; j < k; j++) {
            s += q[a][i] * t[i * k + j] * q[b][j];
          }
        }
        out[a * k + b] = s;
      }
    }
    for (int a = 0; a < k; a++) { // exactly symmetric
      for (int b = 0; b < a; b++) {
        out[b * k + a] = out[a * k + b];
      }
    }
    return out;
  }
}
