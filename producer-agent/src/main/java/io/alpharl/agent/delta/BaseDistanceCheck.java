package io.alpharl.agent.delta;

import io.alpharl.proto.frame.WireDtype;
import java.util.Locale;
import java.util.Optional;

/**
 * Is W_0 the model the run started from? A base of the wrong revision (an instruct model's
 * pretrained base, another fine-tune of the same shapes) reads without error, and every ΔW_t then
 * carries the difference between the two models: fits, predictions and gate would be about that
 * difference, silently. What gives it away is scale: the run's first checkpoint is as far from W_0
 * as the training before it moved the weights, and an RL step moves them little. So the first
 * checkpoint sent of a run, ‖W_(t1) − W_0‖, is compared with how far the next interval moved them,
 * ‖δ_(t2)‖: even if every earlier step had moved the weights in one direction at the next
 * interval's pace, ‖W_(t1) − W_0‖ would be at most ‖δ‖ · max(1, t1 / (t2 − t1)) (a random walk
 * gives less). Beyond {@link #FACTOR} times that, the agent warns.
 *
 * <p>A warning, not a refusal: a learning rate that decayed a long way before the agent was started
 * also makes earlier steps larger than recent ones, by the ratio of the two rates, and early steps
 * that all pointed one way followed by noisy ones that cancel over the interval can pass the bound
 * by up to √(t2 − t1); {@link #FACTOR} leaves room for both in moderation. A base of another
 * architecture is refused elsewhere, by its shapes. Not thread-safe.
 */
public final class BaseDistanceCheck {
  /** How many times the farthest a genuine base could lie the first checkpoint may be before the warning. */
  static final double FACTOR = 30;

  private long firstStep = -1;
  private double firstNorm;
  private double leftOver;

  /** Whether the next checkpoint sent should be measured (its ‖δ‖ summed). */
  public boolean measuring() {
    return firstStep >= 0;
  }

  /**
   * The run's first checkpoint sent (nothing of the run on the log before it).
   *
   * @param squaredNorm ‖W_t − W_0‖_F² over every tensor sent
   * @param leftOver    what rounding to the wire left of it, squared ({@link DeltaSquares#leftOver}; 0 on an f32 wire)
   */
  public void first(long step, double squaredNorm, double leftOver) {
    firstStep = step;
    firstNorm = Math.sqrt(squaredNorm);
    this.leftOver = leftOver;
  }

  /**
   * A checkpoint sent after it. Its exact delta target − S is the move since the previous
   * checkpoint plus what the previous step's rounding left (error feedback); the move is taken as
   * ‖exact‖² − ‖left over‖², since the rounding residue and the training's move are unrelated. On a
   * 16-bit wire the residue of a far base is large (bf16 keeps 8 bits), and measuring the delta
   * alone would have taken it for the training's pace and never warned. A step that did not move
   * the weights settles nothing: the check waits for the next.
   *
   * @param squares this step's sums over every tensor sent
   * @return the warning, when W_0 lies too far from the first checkpoint
   */
  public Optional<String> next(long step, DeltaSquares squares, String basePath) {
    if (firstStep < 0) {
      return Optional.empty();
    }
    double movedSquared = squares.exact() - leftOver;
    leftOver = squares.leftOver();
    if (!(movedSquared > 0)) {
      return Optional.empty();
    }
    long interval = step - firstStep;
    double moved = Math.sqrt(movedSquared);
    double farthest = moved * Math.max(1.0, (double) firstStep / interval);
    long first = firstStep;
    firstStep = -1;
    if (!(firstNorm > FACTOR * farthest)) {
      return Optional.empty();
    }
    return Optional.of(String.format(Locale.ROOT, "the run's first checkpoint sent (step %d) lies %.3g from W_0 (%s), %.0f times what the %d"
        + " steps after it suggest the training could have moved the weights by step %d (%.3g); W_0 is likely not the model this run"
        + " started from (a pretrained model where the run began from its instruct or fine-tuned version, or another revision), and every"
        + " fit and prediction would be about the difference between the two. If so, send the run again under a new run id with the right"
        + " --base; if W_0 is right (a learning rate that decayed a long way before the agent started), this warning is all it costs",
        first, firstNorm, basePath, firstNorm / farthest, interval, first, farthest));
  }

  /**
   * The mean squared rounding error of a value the wire carries, s, for a check resumed from the
   * log (the first checkpoint is gone, only its rounded delta S is known): a value rounded to the
   * nearest of a grid of spacing h lies within ±h/2 of it, evenly, so h²/12.
   */
  public static double expectedLeftOver(float s, WireDtype wire) {
    double h = wire.spacing(s);
    return h * h / 12;
  }
}
