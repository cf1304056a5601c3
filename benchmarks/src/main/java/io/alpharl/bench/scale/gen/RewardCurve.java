package io.alpharl.bench.scale.gen;

/**
 * The mean reward an RL run logs per step: rising from 0.2 towards 0.7 with a time constant of a
 * third of the planned steps, plus a little noise, as GRPO rewards do. Deterministic per seed.
 */
final class RewardCurve {
  private final long key;
  private final double tau;

  RewardCurve(long seed, long plannedSteps) {
    this.key = CounterNoise.key(seed, -1);
    this.tau = Math.max(1, plannedSteps / 3.0);
  }

  double at(long step) {
    return 0.2 + 0.5 * (1 - Math.exp(-step / tau)) + 0.01 * CounterNoise.gaussian(key, step);
  }
}
