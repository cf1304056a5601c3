package io.alpharl.processor.run;

import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;

/** What the run tracker hears about a run: its manifest, a committed step, a module's factors. */
public sealed interface RunEvent {
  record Manifest(RunManifest manifest) implements RunEvent {}

  record Step(StepCommitted step) implements RunEvent {}

  record Factors(Rank1Update update) implements RunEvent {}
}
