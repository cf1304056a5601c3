package io.alpharl.bench.scale.gen;

/**
 * How the synthetic run moves its weights. Per step the f32 master takes an Adam-like step
 * {@code lr * g / sqrt(d² + noise²)} with gradient {@code g = d + noise * ξ}: {@code d} is a
 * low-rank drift (rank {@code rank}, component scales 1, {@code decay}, {@code decay²}, ...,
 * directions turning by {@code rotationPerStep} radians a step) and ξ unit noise. Dividing by the
 * gradient's RMS is what Adam's second moment does at steady state: every element moves by about
 * {@code lr}, whatever the scale of its gradient, so the share of bf16 values a step leaves
 * unchanged is set by {@code lr} against the bf16 spacing of values of size {@code initStd}.
 *
 * <p>The defaults make ΔW look like a real RL update (on the RL runs measured for this
 * project σ1 is typically 10-20 % of ‖ΔW‖_F, σ2/σ1 close to 1) at small shapes: per step the
 * noise is far larger than the drift, so the concentration σ1/‖ΔW‖_F rises slowly as the drift adds
 * up linearly and the noise as √t (0.12-0.3 after 10 steps at 512 × 384, σ2/σ1 about 0.9:
 * SyntheticRunTest). At Qwen2.5-0.5B's shapes and the default learning rate they are noisier than
 * that: measured at 896 × 4864 in bf16, σ1/‖ΔW‖_F is 0.054 after one step and 0.062 after twelve,
 * where a matrix of pure noise of that shape has 1/√896 + 1/√4864 = 0.048, so over a short run the
 * leading factors are those of a noise bulk, the factor solver's hardest case. A smaller
 * {@link #noise} lets the drift show sooner (noise 5: 0.11 after twelve steps; 2: 0.16).
 *
 * @param seed                makes the run reproducible
 * @param initStd             standard deviation of the initial matrices, embeddings and biases (norm weights start at 1)
 * @param learningRate        size of one step per element; 1e-6 (a usual RL learning rate) leaves about 96–97 % of bf16 values unchanged
 * @param rank                rank of the drift
 * @param decay               ratio of successive drift components' scales
 * @param noise               standard deviation of the per-element gradient noise, against the first drift component's 1
 * @param rotationPerStep     how fast the drift's directions turn, radians per step
 * @param embeddingRowShare   share of embedding rows a step touches (the tokens of its batch)
 */
public record DriftSettings(long seed, double initStd, double learningRate, int rank, double decay, double noise, double rotationPerStep,
    double embeddingRowShare) {

  public DriftSettings {
    if (initStd <= 0 || learningRate <= 0 || rank < 1 || decay <= 0 || noise < 0 || rotationPerStep < 0 || embeddingRowShare <= 0
        || embeddingRowShare > 1) {
      throw new IllegalArgumentException("drift settings out of range: " + this);
    }
  }

  public static DriftSettings defaults() {
    return new DriftSettings(20251001L, 0.02, 1e-6, 4, 0.9, 15.0, 0.01, 0.005);
  }

  public DriftSettings withSeed(long s) {
    return new DriftSettings(s, initStd, learningRate, rank, decay, noise, rotationPerStep, embeddingRowShare);
  }

  public DriftSettings withNoise(double n) {
    return new DriftSettings(seed, initStd, learningRate, rank, decay, n, rotationPerStep, embeddingRowShare);
  }

  public DriftSettings withLearningRate(double lr) {
    return new DriftSettings(seed, initStd, lr, rank, decay, noise, rotationPerStep, embeddingRowShare);
  }
}
