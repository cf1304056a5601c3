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
  private DeadLetters() {}

  /**
   * @param rejectedBy the refusing service, e.g. "processor", "extrapolator", "agent"
   */
  public static DeadLetter.Builder of(String topic, int partition, long offset, byte[] key, byte[] value, RejectReason reason, String detail,
      String rejectedBy) {
    return DeadLetter.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setReason(reason)
        .setDetail(detail == null ? "" : detail)
        .setSourceTopic(topic)
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .setOriginalKey(key == null ? ByteString.EMPTY : ByteString.copyFrom(key))
        .setOriginalValue(value == null ? ByteString.EMPTY : ByteString.copyFrom(value))
        .setRejectedBy(rejectedBy)
        .setRejectedUnixMs(System.currentTimeMillis());
  }

  public static DeadLetter.Builder of(ConsumerRecord<byte[], byte[]> record, RejectReason reason, String detail, String rejectedBy) {
    return of(record.topic(), record.partition(), record.offset(), record.key(), record.value(), reason, detail, rejectedBy);
  }
}
