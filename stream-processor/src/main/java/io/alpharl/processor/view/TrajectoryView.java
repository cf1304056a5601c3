package io.alpharl.processor.view;

import io.alpharl.fit.FitCalculator;
import io.alpharl.fit.Pls1;
import io.alpharl.processor.run.RunTracker;
import io.alpharl.processor.state.RunState;
import io.alpharl.processor.state.WindowStep;
import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.Rank1Update;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One module's observed trajectory over the fit window against what the extrapolator would
 * predict from it: for each progress axis, the fitted path x̂_t and the prediction x̂ at the
 * planned final step, as norms so that a page can draw them. The fits are the same {@link Pls1}
 * and {@link FitCalculator#target} the paper's predictor uses, not a redrawn line; what a model
 * is written with is each module's backtest-chosen predictor (the fit summary's), and every
 * module's window-end value while the gate is shut.
 *
 * @param points observed points of the window, oldest first
 * @param fits   one per axis that has a defined fit (the signal axis needs a progress value at
 *               every window step)
 */
public record TrajectoryView(String module, long plannedSteps, List<Point> points, List<AxisFit> fits) {
  /** @param progress y_t, or null when the step carried none */
  public record Point(long step, Double progress, double observedNorm) {}

  /**
   * @param fittedNorms   ‖x̂_t‖ at each window point
   * @param target        the axis' target (planned step, or the progress trend at it); null when
   *                      the planned final step is unknown
   * @param predictedNorm ‖x̂(target)‖, the norm of the predicted final rank-1 update; null likewise
   */
  public record AxisFit(String axis, double r2, List<Double> fittedNorms, Double target, Double predictedNorm) {}

  /** @param inWindow the module's factors at the window's steps, oldest first */
  public static TrajectoryView of(String module, RunState run, List<Rank1Update> inWindow, FitCalculator calculator) {
    Map<Long, WindowStep> byStep = new HashMap<>();
    run.getWindowList().forEach(s -> byStep.put(s.getStep(), s));
    int k = inWindow.size();
    long[] steps = new long[k];
    double[] progress = new double[k];
    double[][] x = new double[k][];
    boolean allProgress = k > 0;
    List<Point> points = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      Rank1Update p = inWindow.get(i);
      WindowStep sp = byStep.get(p.getStep());
      steps[i] = p.getStep();
      progress[i] = sp.getHasProgressValue() ? sp.getProgressValue() : Double.NaN;
      allProgress &= sp.getHasProgressValue();
      x[i] = RunTracker.coordinates(p);
      points.add(new Point(steps[i], sp.getHasProgressValue() ? progress[i] : null, norm(x[i])));
    }
    // The plan the newest fit was judged with, so that the page agrees with the published fit (not the manifest, which a
    // restarted agent may have sent with another plan than the commits state).
    long planned = run.hasLatestStepFit() ? run.getLatestStepFit().getPlannedSteps() : 0;
    List<AxisFit> fits = new ArrayList<>(2);
    axisFit(ProgressAxis.PROGRESS_AXIS_STEP, x, Arrays.stream(steps).asDoubleStream().toArray(), steps, progress, planned, calculator, fits);
    if (allProgress) {
      axisFit(ProgressAxis.PROGRESS_AXIS_SIGNAL, x, progress, steps, progress, planned, calculator, fits);
    }
    return new TrajectoryView(module, planned, points, fits);
  }

  private static void axisFit(ProgressAxis axis, double[][] x, double[] y, long[] steps, double[] progress, long planned, FitCalculator calculator,
      List<AxisFit> out) {
    Pls1 fit = Pls1.fit(x, y);
    if (fit == null) {
      return;
    }
    List<Double> fitted = new ArrayList<>(y.length);
    for (double v : y) {
      fitted.add(norm(fit.predict(v)));
    }
    double target = calculator.target(axis, steps, progress, planned);
    boolean known = Double.isFinite(target);
    out.add(new AxisFit(EnumLabels.of(axis), fit.r2(), fitted, known ? target : null, known ? norm(fit.predict(target)) : null));
  }

  private static double norm(double[] v) {
    double s = 0;
    for (double e : v) {
      s += e * e;
    }
    return Math.sqrt(s);
  }
}
