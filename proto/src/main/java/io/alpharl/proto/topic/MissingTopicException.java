package io.alpharl.proto.topic;

/**
 * A topic a reader asked for is not on the cluster. Readers of optional topics (the keyframes of
 * a cluster set up before them) take this, and only this, as "go the long way"; any other
 * failure of the read stays the error it is.
 */
public final class MissingTopicException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public MissingTopicException(String topic) {
    super("topic " + topic + " does not exist");
  }
}
