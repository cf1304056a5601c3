package io.alpharl.fit.predict;

/** The progress axis τ a predictor's trajectory is fitted on and extrapolated along. */
public enum Axis {
  /** τ = y_t, the run's progress value (reward or accuracy); the paper's axis. No origin. */
  SIGNAL,
  /** τ = t, the training step; the target is the planned final step. */
  STEP,
  /** τ = t^α with α fitted per module from ‖ΔW_t‖_F ∝ t^α over the fitted points. */
  SUBLINEAR;

  /** The lower-case name used in predictor specs. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@code signal}, {@code step} or {@code sublinear}; one clear line when it is none. */
  public static Axis parse(String text) {
    for (Axis a : values()) {
      if (a.label().equals(text)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown axis '" + text + "' (signal, step or sublinear)");
  }
}
