package io.alpharl.agent.checkpoint;

import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Says why a finished step folder has no safetensors weights, from the names of what it holds
 * instead, and what makes each trainer save them: the agent reads safetensors only.
 */
final class WeightlessCheckpoint {
  private static final int NAMES_SHOWN = 6;

  private WeightlessCheckpoint() {}

  static String describe(CheckpointDir c) {
    Path looked = Files.isDirectory(c.path()) ? c.path() : c.folder();
    List<String> names = names(looked);
    String where = looked.equals(c.folder()) ? c.folder().toString() : c.path() + " (in " + c.folder() + ")";
    String holds = names.isEmpty() ? "nothing" : String.join(", ", names.subList(0, Math.min(NAMES_SHOWN, names.size())))
        + (names.size() > NAMES_SHOWN ? ", ..." : "");
    return where + " has no " + Checkpoint.SINGLE_FILE + " or " + Checkpoint.INDEX_FILE + " (it holds " + holds + "): " + hint(c, names)
        + "; the next checkpoint with weights covers this step's change";
  }

  /** Most specific first: every Trainer checkpoint also holds training_args.bin, which is not weights. */
  private static String hint(CheckpointDir c, List<String> names) {
    if (names.stream().anyMatch(n -> n.startsWith("global_step") || n.startsWith("zero_") || n.contains("optim_states"))) {
      return "the trainer saved DeepSpeed state only; with ZeRO-3 set stage3_gather_16bit_weights_on_model_save: true so each save writes the model";
    }
    if (names.stream().anyMatch(n -> n.startsWith("pytorch_model_fsdp") || n.startsWith("model_world_size"))) {
      return "the trainer saved sharded FSDP state only; save a full state dict (FSDP state_dict_type FULL_STATE_DICT; in verl add 'hf_model' to"
          + " actor_rollout_ref.actor.checkpoint.save_contents)";
    }
    if (names.stream().anyMatch(n -> n.startsWith("adapter_model"))) {
      return "the trainer saved a PEFT adapter, not the model; the agent follows full weights (merge the adapter into the model at each save)";
    }
    if (names.stream().anyMatch(n -> n.startsWith("pytorch_model") && (n.endsWith(".bin") || n.endsWith(".pt")))) {
      return "the trainer saved PyTorch weights; the agent reads safetensors (Trainer save_safetensors=True, the default)";
    }
    if (!c.path().equals(c.folder())) {
      Path outer = c.folder().relativize(c.path()).getName(0);
      if (!Files.exists(c.folder().resolve(outer))) {
        // verl's rotation (max_actor_ckpt_to_keep) removes the role folder alone and leaves the step folder with data.pt.
        return "its " + outer + "/ folder is gone: rotated away by the trainer (in verl, trainer.max_actor_ckpt_to_keep) before the agent"
            + " read it";
      }
      return "the weights are missing where the layout looks for them (in verl, add 'hf_model' to actor_rollout_ref.actor.checkpoint.save_contents)";
    }
    return "the agent reads safetensors weights only";
  }

  /** Names in a folder, sorted, folders marked with a slash. */
  private static List<String> names(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString() + (Files.isDirectory(f) ? "/" : "")).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
