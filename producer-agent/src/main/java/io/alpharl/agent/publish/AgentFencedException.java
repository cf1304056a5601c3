package io.alpharl.agent.publish;

import org.apache.kafka.common.KafkaException;

/**
 * Another agent now sends this run: one started later with the same run id (and so the same
 * transactional id) fenced this one, as a restarted agent is meant to. Nothing is lost, since the
 * newer agent resumes from the log, but this one must stop, not be restarted: two agents restarted
 * in turn would fence each other for ever. {@code agent end} fences the run's agent the same way. An operator's matter, which the command reports in one
 * line.
 */
public final class AgentFencedException extends KafkaException {
  private static final long serialVersionUID = 1L;

  public AgentFencedException(String runId, Throwable cause) {
    super("another agent now sends run " + runId + " (one started later with the same run id fenced this one), or 'alpharl agent end'"
        + " ended the run; this one stops. Run one agent per run: stop the other if this one was meant to go on", cause);
  }
}
