package io.alpharl.fit.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PredictorRegistryTest {

  @Test
  void canonicalNamesCarryEverySettingAndParseBack() {
    assertThat(PredictorRegistry.parse("alpharl").name()).isEqualTo("alpharl:scaling=sigma1,base=w0,axis=signal");
    assertThat(PredictorRegistry.parse("alpharl-increment:axis=step").name()).isEqualTo("alpharl-increment:scaling=sigma1,axis=step");
    assertThat(PredictorRegistry.parse("rank-k").name()).isEqualTo("rank-k:k=4,base=w0,axis=step");
    assertThat(PredictorRegistry.parse(" rank-k-increment:axis=sublinear,k=2 ").name()).isEqualTo("rank-k-increment:k=2,axis=sublinear");
    assertThat(PredictorRegistry.parse("whole-trend").name()).isEqualTo("whole-trend:axis=step");
    assertThat(PredictorRegistry.parse("alpharl-reference:target=0.78").name()).isEqualTo("alpharl-reference:target=0.78");
    // The name is published (fits, scores, the model's metadata): JDK 17's Double.toString wrote 0.0020, JDK 21's 0.002.
    assertThat(PredictorRegistry.parse("alpharl-reference:target=0.002").name()).isEqualTo("alpharl-reference:target=0.002");
    assertThat(PredictorRegistry.parse("alpharl:target=0.9,base=window-end").name()).isEqualTo("alpharl:scaling=sigma1,base=window-end,axis=signal,target=0.9");
    for (String name : PredictorRegistry.names()) {
      Predictor p = PredictorRegistry.parse(name);
      assertThat(PredictorRegistry.parse(p.name()).name()).isEqualTo(p.name());
    }
    for (Predictor p : PredictorRegistry.defaultCandidates()) {
      assertThat(PredictorRegistry.parse(p.name()).name()).isEqualTo(p.name());
    }
  }

  @Test
  void mistakesAreOneClearLine() {
    assertThatThrownBy(() -> PredictorRegistry.parse("alpha"))
        .hasMessage("unknown predictor 'alpha' (one of stop, alpharl, alpharl-reference, alpharl-increment, rank-k, rank-k-increment, whole-scale,"
            + " whole-trend; or auto, the default candidates judged; or fixed:SPEC, one applied without judgement)");
    assertThatThrownBy(() -> PredictorRegistry.parse("rank-k:k=0")).hasMessage("rank-k: k=0 is not a positive integer");
    assertThatThrownBy(() -> PredictorRegistry.parse("rank-k-increment:base=w0")).hasMessage("rank-k-increment has no setting base (its settings: axis, k, target)");
    assertThatThrownBy(() -> PredictorRegistry.parse("stop:axis=step")).hasMessage("stop has no setting axis (it has none)");
    assertThatThrownBy(() -> PredictorRegistry.parse("whole-scale:axis=signal"))
        .hasMessage("whole-scale is defined on the step and sublinear axes only: the signal axis has no origin where ΔW is zero");
    assertThatThrownBy(() -> PredictorRegistry.parse("alpharl:axis=step,target=0.8"))
        .hasMessage("alpharl: target= gives a progress value, so it needs axis=signal (the step axes aim at the planned step)");
    assertThatThrownBy(() -> PredictorRegistry.parse("alpharl:axis=time")).hasMessage("alpharl: unknown axis 'time' (signal, step or sublinear)");
    assertThatThrownBy(() -> PredictorRegistry.parse("alpharl:scaling=sigma2")).hasMessage("alpharl: scaling=sigma2 is not one of sigma1, frobenius");
    assertThatThrownBy(() -> PredictorRegistry.parse("alpharl:axis")).hasMessage("predictor 'alpharl:axis': setting 'axis' is not key=value");
    assertThatThrownBy(() -> PredictorRegistry.parse("alpharl:axis=step,axis=signal")).hasMessage("predictor 'alpharl:axis=step,axis=signal': setting 'axis' given twice");
    assertThatThrownBy(() -> Policy.parse("fixed:nothing")).hasMessageStartingWith("unknown predictor 'nothing'");
    assertThatThrownBy(() -> PredictorRegistry.parse("rank-k:k=2,,")).hasMessage("predictor 'rank-k:k=2,,': setting '' is not key=value");
    assertThatThrownBy(() -> Policy.parse("auto:k=3")).hasMessageStartingWith("predictor 'auto' takes no settings");
  }
}
