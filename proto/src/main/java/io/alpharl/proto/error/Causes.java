package io.alpharl.proto.error;

import java.util.Optional;

/**
 * Finds what an exception is really about. Kafka and the services wrap failures (a
 * StreamsException around a KafkaException around the topic that went missing), and a message
 * meant for a user must name the innermost cause it knows, not the wrapper.
 */
public final class Causes {
  private Causes() {}

  /** The first throwable of {@code type} in {@code e}'s cause chain, {@code e} included. */
  public static <T extends Throwable> Optional<T> find(Throwable e, Class<T> type) {
    // A cause chain can loop (an exception made its own cause's cause); stop after one lap's worth.
    int depth = 0;
    for (Throwable t = e; t != null && depth < 64; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return Optional.of(type.cast(t));
      }
    }
    return Optional.empty();
  }
}
