package io.alpharl.fit.predict;

import java.util.List;

/**
 * The growth exponent α of ‖ΔW_t‖_F ≈ c · t^α: the least-squares slope of log ‖ΔW_t‖_F on log t
 * over the fitted points (those with t > 0 and a non-zero norm), clamped to the settings' range.
 *
 * <p>Logarithms and powers on the fit's path are {@link StrictMath}'s (here, {@link AxisFrame}, and
 * the extrapolator's scoring): {@link Math}'s may differ in the last bit between CPUs and JVM
 * flags, and a task moved to an instance on another architecture, or an extrapolator on another
 * machine than the processor, must judge and plan with the same bits.
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
        sx += StrictMath.log(p.step());
        sy += StrictMath.log(p.frobenius());
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
        double dx = StrictMath.log(p.step()) - mx;
        sxx += dx * dx;
        sxy += dx * (StrictMath.log(p.frobenius()) - my);
      }
    }
    double alpha = sxy / sxx;
    return Resolved.of(Math.max(settings.minExponent(), Math.min(settings.maxExponent(), alpha)));
  }
}
