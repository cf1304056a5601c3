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
 * <p>The defaults make ΔW look like a real RL update (ALGORITHM.md): per step the noise is far
 * larger than the drift, so after 10 steps σ1 is about 20 % of ‖ΔW‖_F and σ2/σ1 about 0.9,
 * with the concentration rising slowly as the drift adds up linearly and the noise as √t. The
 * processor's rank-1 solver then faces the small spectral gap it meets in practice.
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

  public DriftSettings withLearningRate(double lr) {
    return new DriftSettings(seed, initStd, lr, rank, decay, noise, rotationPerStep, embeddingRowShare);
  }
}
