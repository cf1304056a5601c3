package io.alpharl.proto.frame;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde of {@code alpharl.deltas} values. Deserializing checks the envelope and both checksums
 * ({@link FrameEnvelope#parse}); a bad frame becomes a {@link SerializationException} whose cause
 * is the {@link FrameException} with the precise reason, for the dead-letter handler.
 * Stateless and thread-safe.
 */
public final class DeltaFrameSerde implements Serde<DeltaFrame> {
  @Override
  public Serializer<DeltaFrame> serializer() {
    return (topic, frame) -> frame == null ? null : frame.bytes();
  }

  @Override
  public Deserializer<DeltaFrame> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return FrameEnvelope.parse(data);
      } catch (FrameException e) {
        throw new SerializationException("bad delta frame on " + topic + ": " + e.getMessage(), e);
      }
    };
  }
}
