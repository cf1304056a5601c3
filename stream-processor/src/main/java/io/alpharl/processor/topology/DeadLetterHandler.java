package io.alpharl.processor.topology;

import io.alpharl.processor.metrics.ProcessorMetrics;
import io.alpharl.proto.error.Causes;
import io.alpharl.proto.frame.FrameException;
import io.alpharl.proto.topic.DeadLetters;
import io.alpharl.proto.topic.RefusalLog;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record that cannot be deserialized (a corrupt frame, a bad checksum, a message that does not
 * parse) goes to {@code alpharl.dlq} with its topic, partition, offset, the precise reason and its
 * original bytes, inside the same exactly-once transaction, and processing goes on.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler {
  /** Key of the {@link ProcessorMetrics} instance among the Streams configs (not a Kafka setting). */
  public static final String METRICS_CONFIG = "alpharl.processor.metrics";
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandler.class);
  private ProcessorMetrics metrics = new ProcessorMetrics();
  private final RefusalLog refusals = new RefusalLog(LOG);

  @Override
  public void configure(Map<String, ?> configs) {
    if (configs.get(METRICS_CONFIG) instanceof ProcessorMetrics m) {
      metrics = m;
    }
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    Optional<FrameException> cause = Causes.find(exception, FrameException.class);
    // A record of another topic that does not parse is no frame: the extrapolator and the agent letter it as malformed, and so
    // does this handler, so that one record's letters give one reason and the per-reason counts do not call it a corrupt frame.
    RejectReason reason = cause.map(fe -> fe.error().rejectReason()).orElse(record.topic().equals(Topics.DELTAS.name())
        ? RejectReason.REJECT_REASON_CORRUPT_FRAME : RejectReason.REJECT_REASON_MALFORMED_RECORD);
    String detail = cause.map(Throwable::getMessage).orElse(String.valueOf(exception.getMessage()));
    refusals.refused(reason, "dead letter from " + record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + detail);
    metrics.deadLetter(reason);
    DeadLetter letter = DeadLetters.of(record, reason, detail, "processor").build();
    // Keyed by the letter's own original key (empty for a keyless record), as every reader's letters: with no key the producer
    // would pick the partition, by timing.
    return Response.resume(List.of(new ProducerRecord<>(Topics.DLQ.name(), letter.getOriginalKey().toByteArray(), letter.toByteArray())));
  }
}
