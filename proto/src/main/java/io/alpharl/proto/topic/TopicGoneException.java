package io.alpharl.proto.topic;

import java.util.List;
import org.apache.kafka.common.KafkaException;

/**
 * A topic a service writes or reads is no longer on the cluster (deleted while the service ran).
 * Kafka's clients only retry such a topic until a timeout, with a cause that does not name it; this
 * exception names it, so that the command can say in one line what happened.
 */
public final class TopicGoneException extends KafkaException {
  private static final long serialVersionUID = 1L;
  private final List<String> topics;

  public TopicGoneException(List<String> topics, String consequence, Throwable cause) {
    super((topics.size() == 1 ? "topic " : "topics ") + String.join(", ", topics) + (topics.size() == 1 ? " is" : " are")
        + " no longer on the cluster (deleted while this service ran?); " + consequence, cause);
    this.topics = List.copyOf(topics);
  }

  public List<String> topics() {
    return topics;
  }
}
