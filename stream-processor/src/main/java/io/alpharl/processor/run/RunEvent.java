package io.alpharl.processor.run;

import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * What the run tracker hears about a run: its manifest, a committed step, a module's factors; each
 * with the record's bytes as they were, for a dead letter.
 */
public sealed interface RunEvent {
  /** The record value exactly as read. */
  byte[] raw();

  record Manifest(RunManifest manifest, byte[] raw) implements RunEvent {}

  record Step(StepCommitted step, byte[] raw) implements RunEvent {}

  record Factors(Rank1Update update, byte[] raw) implements RunEvent {}

  /** Reads {@code alpharl.runs} values as events; a value that does not parse goes to the deserialization handler. */
  static Deserializer<RunEvent> manifests() {
    Deserializer<RunManifest> d = Topics.RUNS.valueSerde().deserializer();
    return (topic, data) -> data == null ? null : new Manifest(d.deserialize(topic, data), data);
  }

  static Deserializer<RunEvent> steps() {
    Deserializer<StepCommitted> d = Topics.STEPS.valueSerde().deserializer();
    return (topic, data) -> data == null ? null : new Step(d.deserialize(topic, data), data);
  }

  static Deserializer<RunEvent> factors() {
    Deserializer<Rank1Update> d = Topics.RANK1.valueSerde().deserializer();
    return (topic, data) -> data == null ? null : new Factors(d.deserialize(topic, data), data);
  }
}
