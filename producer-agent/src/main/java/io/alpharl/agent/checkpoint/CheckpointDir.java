package io.alpharl.agent.checkpoint;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One step's checkpoint of a run.
 *
 * @param step   the training step its folder name gives
 * @param path   the directory holding its safetensors weights (what {@code Checkpoint.open} takes):
 *     the step folder itself, or the layout's weights sub-path inside it
 * @param folder the step folder the trainer wrote ({@code checkpoint-40}, {@code global_step_40});
 *     {@code trainer_state.json} lies here and {@code progress.jsonl} in its parent
 */
public record CheckpointDir(long step, Path path, Path folder) {
  public CheckpointDir {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(folder, "folder");
  }

  /** A checkpoint whose weights lie in its step folder (the Hugging Face Trainer layout). */
  public CheckpointDir(long step, Path folder) {
    this(step, folder, folder);
  }
}
