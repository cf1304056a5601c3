package io.alpharl.fit.predict;

import java.util.List;

/**
 * The growth exponent α of ‖ΔW_t‖_F ≈ c · t^α: the least-squares slope of log ‖ΔW_t‖_F on log t
 * over the fitted points (those with t > 0 and a non-zero norm), clamped to the settings' range.
 */
final class SublinearExponent {
  private SublinearExponent() {}

  static Resolved fit(List<FactorPoint> points, int count, AxisSettings settings) {
    double sx = 0;
    double sy = 0;
    int k = 0;
    for (int i = 0; i < count; i++) {
      FactorPoint p = points.get(i);
      if (p.step() > 0 && p.frobenius() > 0) {
        sx += Math.log(p.step());
        sy += Math.log(p.frobenius());
        k++;
      }
    }
    if (k < 2) {
      return Resolved.failed("the sublinear axis needs 2 points with t > 0 and ΔW ≠ 0, has " + k);
    }
    double mx = sx / k;
    double my = sy / k;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < count; i++) {
      FactorPoint p = points.get(i);
      if (p.step() > 0 && p.frobenius() > 0) {
        double dx = Math.log(p.step()) - mx;
        sxx += dx * dx;
        sxy += dx * (Math.log(p.frobenius()) - my);
      }
    }
    double alpha = sxy / sxx;
    return Resolved.of(Math.max(settings.minExponent(), Math.min(settings.maxExponent(), alpha)));
  }
}
