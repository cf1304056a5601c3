package io.alpharl.proto.error;

import java.util.Optional;

/**
 * Finds what an exception is really about. Kafka and the services wrap failures (a
 * StreamsException around a KafkaException around the topic that went missing), and a message
 * meant for a user must name the innermost cause it knows, not the wrapper.
 */
public final class Causes {
  private Causes() {}

  /** A cause chain can loop (an exception made its own cause's cause); no real one is this deep. */
  private static final int MAX_DEPTH = 64;

  /** The first throwable of {@code type} in {@code e}'s cause chain, {@code e} included. */
  public static <T extends Throwable> Optional<T> find(Throwable e, Class<T> type) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < MAX_DEPTH; t = t.getCause(), depth++) {
      if (type.isInstance(t)) {
        return Optional.of(type.cast(t));
      }
    }
    return Optional.empty();
  }

  /** The innermost cause of {@code e} ({@code e} itself when it has none): usually what says what went wrong. */
  public static Throwable root(Throwable e) {
    Throwable t = e;
    for (int depth = 0; t.getCause() != null && depth < MAX_DEPTH; depth++) {
      t = t.getCause();
    }
    return t;
  }
}
