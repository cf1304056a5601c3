package io.alpharl.extrapolator.model;

/**
 * The window end's {@code config.json} unties the output head from the input embedding where the
 * base ties them and stores no head. The agent streams only the base's tensors, so the run never
 * carried the trained head: written with that config, the model loads with a head transformers
 * initialises at random, and a warning at load time is all that says so.
 */
public final class UntiedHeadException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  UntiedHeadException(java.nio.file.Path configDir, java.nio.file.Path baseDir) {
    super(configDir.resolve("config.json") + " unties the output head (tie_word_embeddings false), which the base " + baseDir
        + " ties and does not store: the run never streamed a trained head, so the model would load with a random one;"
        + " start runs from a base saved as the trainer loads it (untied, with its lm_head.weight)");
  }
}
