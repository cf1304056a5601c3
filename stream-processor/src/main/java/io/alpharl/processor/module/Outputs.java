package io.alpharl.processor.module;

import java.util.Optional;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Forwards to named sinks from a processor that Kafka Streams types as having no output: the
 * state-update processor of a read-only store (its changelog is its source topic). The topology
 * attaches the sinks by name, so the one unchecked view of the context is confined here.
 */
final class Outputs {
  private final ProcessorContext<Object, Object> context;

  @SuppressWarnings({"unchecked", "rawtypes"})
  Outputs(ProcessorContext<Void, Void> context) {
    this.context = (ProcessorContext) context;
  }

  <K, V> void forward(Record<K, V> record, String sink) {
    context.forward(record, sink);
  }

  Optional<RecordMetadata> coordinates() {
    return context.recordMetadata();
  }
}
