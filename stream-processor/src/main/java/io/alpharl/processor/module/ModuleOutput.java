package io.alpharl.processor.module;

import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.Rank1Update;

/** What the module processor emits: a module's factors for a step, or rejected input. */
public sealed interface ModuleOutput {
  record Factors(Rank1Update update) implements ModuleOutput {}

  record Rejected(DeadLetter letter) implements ModuleOutput {}
}
