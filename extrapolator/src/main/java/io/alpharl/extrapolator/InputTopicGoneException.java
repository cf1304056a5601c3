package io.alpharl.extrapolator;

/**
 * A topic the extrapolator reads is gone from the cluster: it stops, since what it built from the
 * topic no longer matches the log, and a restart rebuilds its state from what the log then holds.
 * An operator's problem, not a bug: its command reports it in one line.
 */
public final class InputTopicGoneException extends IllegalStateException {
  InputTopicGoneException(String topic) {
    super("input topic " + topic + " is gone from the cluster (deleted?); the extrapolator stops, since what it built from it no longer"
        + " matches the log: restart it once the topics are back");
  }
}
