package io.alpharl.processor.topology;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * A record's time is its timestamp; one without (−1, which the broker accepts from clients other
 * than Java's) takes its partition's time so far, so that it is read and judged like any record.
 * Kafka Streams' default failed the stream thread on it, then every replaced thread on the same
 * record, until the processor stopped for every run: one record of junk, anyone's, halted them all.
 * Kafka's UsePartitionTimeOnInvalidTimestamp does the same but throws where the partition has no
 * time yet, on a partition's first record.
 */
public final class LogTimeExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    return record.timestamp() >= 0 ? record.timestamp() : Math.max(0, partitionTime);
  }
}
