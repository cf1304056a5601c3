package io.alpharl.proto.topic;

import com.google.protobuf.ByteString;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Dead letters of records read from a topic: the original coordinates and bytes, the reason and
 * who refused it, so nothing is lost and anyone can find the record again. Stateless.
 */
public final class DeadLetters {
  /**
   * The most of a refused value a letter carries. A letter holding all of a record near the input
   * topic's size limit was larger than the dead-letter topic takes: the broker refused it, and the
   * service's every later letter waited behind it (the processor's task failed).
   */
  public static final int MAX_ORIGINAL_VALUE_BYTES = 256 * 1024;
  /** The most of a detail a letter carries (a detail may quote what it refuses). */
  static final int MAX_DETAIL_CHARS = 8 * 1024;

  /** The most of the run id a refused record names that its letter carries: far above a valid one's 200 bytes. */
  static final int MAX_RUN_ID_CHARS = 1024;

  private DeadLetters() {}

  /**
   * The run a letter names, as the refused record names it, cut: a record of a topic that takes
   * 16 MiB may name a run of megabytes, and a letter carrying it whole was larger than the
   * dead-letter topic takes, a failed send the record came back to after every restart.
   */
  public static String runId(String named) {
    return named == null || named.length() <= MAX_RUN_ID_CHARS ? named : named.substring(0, MAX_RUN_ID_CHARS) + "…";
  }

  /**
   * @param rejectedBy the refusing service, e.g. "processor", "extrapolator", "agent"
   */
  public static DeadLetter.Builder of(String topic, int partition, long offset, byte[] key, byte[] value, RejectReason reason, String detail,
      String rejectedBy) {
    return DeadLetter.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setReason(reason)
        .setDetail(cut(detail))
        .setSourceTopic(topic)
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .setOriginalKey(key == null ? ByteString.EMPTY : ByteString.copyFrom(key, 0, Math.min(key.length, MAX_ORIGINAL_VALUE_BYTES)))
        .setOriginalValue(value == null ? ByteString.EMPTY : ByteString.copyFrom(value, 0, Math.min(value.length, MAX_ORIGINAL_VALUE_BYTES)))
        .setOriginalValueSize(value == null ? 0 : value.length)
        .setRejectedBy(rejectedBy);
  }

  /** {@code letter}'s coordinates and copies with another reason and detail (cut as {@link #of} cuts it). */
  public static DeadLetter.Builder withReason(DeadLetter letter, RejectReason reason, String detail) {
    return letter.toBuilder().setReason(reason).setDetail(cut(detail));
  }

  private static String cut(String detail) {
    return detail == null ? "" : detail.length() <= MAX_DETAIL_CHARS ? detail : detail.substring(0, MAX_DETAIL_CHARS) + "…";
  }

  /** {@code letter} with its copy of the refused value taken from {@code value}, cut as {@link #of} cuts it. */
  public static DeadLetter.Builder withValue(DeadLetter letter, byte[] value) {
    return letter.toBuilder().setOriginalValue(ByteString.copyFrom(value, 0, Math.min(value.length, MAX_ORIGINAL_VALUE_BYTES)))
        .setOriginalValueSize(value.length);
  }

  public static DeadLetter.Builder of(ConsumerRecord<byte[], byte[]> record, RejectReason reason, String detail, String rejectedBy) {
    return of(record.topic(), record.partition(), record.offset(), record.key(), record.value(), reason, detail, rejectedBy);
  }
}
