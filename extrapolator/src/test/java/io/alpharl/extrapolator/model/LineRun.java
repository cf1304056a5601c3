package io.alpharl.extrapolator.model;

import io.alpharl.fit.predict.CountSketch;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.LongToDoubleFunction;

/**
 * A run of one 3×2 module "m" whose update is ΔW_t = s(t) u vᵀ, planned for 100 steps, with
 * progress value 0.001 t at every step: the fixture of the prediction and scoring tests, where the
 * right answers follow by hand.
 */
public final class LineRun {
  public static final float[] U = {0.6f, 0.8f, 0f};
  public static final float[] V = {1f, 0f};
  public static final CountSketch SKETCH = CountSketch.of(7, 3, 2, 4);
  public static final RunManifest MANIFEST = RunManifest.newBuilder().setRunId("r").setPlannedSteps(100)
      .addTensors(TensorInfo.newBuilder().setName("m").addShape(3).addShape(2).setModelled(true))
      .addTensors(TensorInfo.newBuilder().setName("norm").addShape(2)).build();

  private LineRun() {}

  /** Commits of steps 10, 20, … 100. */
  public static NavigableMap<Long, StepCommitted> commits() {
    NavigableMap<Long, StepCommitted> c = new TreeMap<>();
    for (long t = 10; t <= 100; t += 10) {
      c.put(t, StepCommitted.newBuilder().setRunId("r").setStep(t).setHasProgressValue(true).setProgressValue(0.001 * t).build());
    }
    return c;
  }

  /** The module's factors at steps 10, 20, … 100, scaled by {@code s}. */
  public static NavigableMap<Long, Rank1Update> factors(LongToDoubleFunction s) {
    NavigableMap<Long, Rank1Update> f = new TreeMap<>();
    for (long t = 10; t <= 100; t += 10) {
      f.put(t, factor(t, s.applyAsDouble(t)));
    }
    return f;
  }

  public static Rank1Update factor(long step, double s) {
    float[] dw = new float[6];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 2; j++) {
        dw[i * 2 + j] = (float) (s * U[i] * V[j]);
      }
    }
    Rank1Update.Builder b = Rank1Update.newBuilder().setModule("m").setStep(step).setSigma1(s).setFrobeniusNorm(s).setRank(1)
        .setSketchSeed(SKETCH.seed()).setSketchSize(SKETCH.size());
    for (float e : U) {
      b.addU(e);
    }
    for (float e : V) {
      b.addV(e);
    }
    for (double e : SKETCH.sketch(dw)) {
      b.addSketch(e);
    }
    return b.build();
  }
}
