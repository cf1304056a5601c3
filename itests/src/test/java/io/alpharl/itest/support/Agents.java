package io.alpharl.itest.support;

import io.alpharl.agent.CheckpointAgent;

/** Driving a {@link CheckpointAgent} in a test the way {@code agent watch --once} does. */
public final class Agents {
  private Agents() {}

  /**
   * Starts the agent and sends every checkpoint already complete in its folder: two scans, since a
   * checkpoint counts as complete once two scans agree on its files.
   *
   * @return the newest step sent
   */
  public static long sendPresent(CheckpointAgent agent) {
    agent.start();
    agent.poll();
    agent.poll();
    return agent.lastStep();
  }
}
