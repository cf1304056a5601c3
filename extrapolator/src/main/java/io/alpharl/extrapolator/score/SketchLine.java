package io.alpharl.extrapolator.score;

import io.alpharl.fit.predict.Axis;

/**
 * One module's prediction as a function of progress, through its CountSketch: every predictor's
 * plan is affine in its axis coordinate τ (a PLS1 line, least-squares weights, a scale τ/τ_T), so
 * two evaluations fix it. τ of a step is the step, the step to the module's fitted exponent α, or
 * the step's progress value, by the predictor's axis. A carried module is constant: its sketch at
 * the window's end. Immutable.
 */
record SketchLine(Axis axis, double tauA, double[] a, double tauB, double[] b, double alpha) {
  static SketchLine constant(double[] value) {
    return new SketchLine(Axis.STEP, 0, value, 0, value, 1);
  }

  /** τ of a step with the given progress value (NaN when the axis needs one that is missing). */
  double tau(long step, double progress) {
    return switch (axis) {
      case STEP -> step;
      case SUBLINEAR -> StrictMath.pow(step, alpha);
      case SIGNAL -> progress;
    };
  }

  double[] at(double tau) {
    if (tauB == tauA) {
      return a;
    }
    double w = (tau - tauA) / (tauB - tauA);
    double[] out = new double[a.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = a[i] + w * (b[i] - a[i]);
    }
    return out;
  }
}
