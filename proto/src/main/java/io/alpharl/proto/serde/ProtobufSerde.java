package io.alpharl.proto.serde;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of one Protobuf message type. A value that does not parse becomes a
 * {@link SerializationException} naming the type and topic, which Kafka Streams hands to its
 * deserialization handler (the dead-letter route) instead of the processor. Stateless and
 * thread-safe.
 */
public final class ProtobufSerde<T extends MessageLite> implements Serde<T> {
  private final Parser<T> parser;
  private final String typeName;

  public ProtobufSerde(Parser<T> parser, Class<T> type) {
    this.parser = Objects.requireNonNull(parser, "parser");
    this.typeName = type.getSimpleName();
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> value == null ? null : value.toByteArray();
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return parser.parseFrom(data);
      } catch (InvalidProtocolBufferException e) {
        throw new SerializationException("record on " + topic + " is not a valid " + typeName + ": " + e.getMessage(), e);
      }
    };
  }
}
