package io.alpharl.processor.run;

import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * What the run tracker hears about a run: its manifest, a committed step, a module's factors, and
 * what extrapolators made of it (a prediction, its live score, a decision); each with the record's
 * bytes as they were, for a dead letter.
 */
public sealed interface RunEvent {
  /** The record value exactly as read. */
  byte[] raw();

  record Manifest(RunManifest manifest, byte[] raw) implements RunEvent {}

  record Step(StepCommitted step, byte[] raw) implements RunEvent {}

  record Factors(Rank1Update update, byte[] raw) implements RunEvent {}

  record Predicted(Prediction prediction, byte[] raw) implements RunEvent {}

  record Scored(PredictionScore score, byte[] raw) implements RunEvent {}

  record Decided(ControlDecision decision, byte[] raw) implements RunEvent {}

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

  static Deserializer<RunEvent> predictions() {
    Deserializer<Prediction> d = Topics.PREDICTIONS.valueSerde().deserializer();
    return (topic, data) -> data == null ? null : new Predicted(d.deserialize(topic, data), data);
  }

  static Deserializer<RunEvent> scores() {
    Deserializer<PredictionScore> d = Topics.SCORES.valueSerde().deserializer();
    return (topic, data) -> data == null ? null : new Scored(d.deserialize(topic, data), data);
  }

  static Deserializer<RunEvent> decisions() {
    Deserializer<ControlDecision> d = Topics.CONTROL.valueSerde().deserializer();
    return (topic, data) -> data == null ? null : new Decided(d.deserialize(topic, data), data);
  }
}
