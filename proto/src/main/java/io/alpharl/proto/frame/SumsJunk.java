package io.alpharl.proto.frame;

import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Records under a run's tensor keys on {@code alpharl.sums} that are not keyframes of those keys:
 * bytes that do not parse, a delta frame, another key's frame. A keyframe's CRC32C in its commit
 * keeps them out of every sum, so they cost nothing but must not pass unsaid: a reader counts them
 * as it meets them and says them in one warning, the first by topic, partition, offset and reason.
 * Not thread-safe.
 */
public final class SumsJunk {
  private int count;
  private String first;

  /** Counts {@code r} (under {@code key}) when it is not a keyframe chunk under its own key. */
  public void see(ConsumerRecord<byte[], byte[]> r, String key) {
    String why = why(key, r.value());
    if (why != null && count++ == 0) {
      first = r.topic() + " partition " + r.partition() + " offset " + r.offset() + ": " + why;
    }
  }

  /** One sentence on what was passed over, or empty when nothing was. */
  public Optional<String> said() {
    return count == 0 ? Optional.empty() : Optional.of(count == 1 ? "1 record under the run's keys that is not a keyframe, passed over (" + first + ")"
        : count + " records under the run's keys that are not keyframes, passed over (the first: " + first + ")");
  }

  /** Why a record is not a keyframe chunk under its own key; null when it is one. */
  static String why(String key, byte[] value) {
    if (value == null) {
      return null; // a tombstone: compaction's, not a record
    }
    DeltaFrame frame;
    try {
      frame = FrameEnvelope.parse(value);
    } catch (FrameException e) {
      return "not a frame (" + e.getMessage() + ")";
    }
    if (!frame.header().getRunningSum()) {
      return "a delta frame, not a keyframe";
    }
    return frame.sumKey().equals(key) ? null : "a keyframe chunk of " + frame.sumKey() + " under this key";
  }
}
