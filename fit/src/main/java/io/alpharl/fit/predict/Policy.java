package io.alpharl.fit.predict;

import java.util.List;

/**
 * Which predictors a module may get.
 *
 * @param candidates the predictors judged (stop, the baseline, is judged besides them)
 * @param judged     true: the best candidate by backtest, when it beats stop by the margin;
 *                   false: the single candidate applied to every module that it can fit, as the
 *                   reference code does (its backtest is still reported)
 */
public record Policy(List<Predictor> candidates, boolean judged) {

  public Policy {
    candidates = List.copyOf(candidates);
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("a policy needs at least one candidate");
    }
    if (!judged && candidates.size() != 1) {
      throw new IllegalArgumentException("an unjudged policy applies exactly one predictor, got " + candidates.size());
    }
  }

  /** The default candidates, judged. */
  public static Policy auto() {
    return new Policy(PredictorRegistry.defaultCandidates(), true);
  }

  /**
   * {@code auto}; a predictor spec (judged against stop); or {@code fixed:SPEC} (applied without
   * judgement, e.g. {@code fixed:alpharl-reference:target=0.78} to reproduce the reference code).
   */
  public static Policy parse(String text) {
    String t = text.strip();
    if (t.equals("auto")) {
      return auto();
    }
    if (t.startsWith("auto:")) {
      throw new IllegalArgumentException("predictor 'auto' takes no settings (it judges the default candidates); name one predictor,"
          + " e.g. rank-k:k=3, to have it judged against stopping, or fixed:SPEC to apply it without judgement");
    }
    if (t.startsWith("fixed:")) {
      return new Policy(List.of(PredictorRegistry.parse(t.substring("fixed:".length()))), false);
    }
    return new Policy(List.of(PredictorRegistry.parse(t)), true);
  }
}
