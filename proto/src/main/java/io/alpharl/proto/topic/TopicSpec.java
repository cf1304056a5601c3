package io.alpharl.proto.topic;

import java.util.Objects;
import org.apache.kafka.common.serialization.Serde;

/**
 * A topic together with the serdes of its keys and values, so that every producer, consumer and
 * Streams {@code Consumed}/{@code Produced} of the topic uses the same pair. Immutable.
 */
public record TopicSpec<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {
  public TopicSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
  }
}
