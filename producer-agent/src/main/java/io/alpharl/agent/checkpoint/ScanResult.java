package io.alpharl.agent.checkpoint;

import java.util.List;

/**
 * What one scan of a run directory found.
 *
 * @param complete   checkpoints ready to read, by step; never a step listed in {@code duplicates}
 * @param duplicates steps named by more than one folder, by step, whether or not their
 *     folders are complete
 * @param vanished   folders an earlier scan measured that are gone now (a trainer's rotation),
 *     by step
 * @param weightless finished step folders without safetensors weights, by step
 * @param unreadable step folders that could not be read (an I/O error other than a deletion), by step
 * @param unready    step folders with weights but without the layout's ready file while a later
 *     step's folder exists: a trainer that writes it writes it before it goes on, so these are
 *     likely never to get it (a loop of the user's own that writes none), by step
 */
public record ScanResult(List<CheckpointDir> complete, List<DuplicateStep> duplicates, List<CheckpointDir> vanished, List<Weightless> weightless,
    List<Unreadable> unreadable, List<CheckpointDir> unready) {
  public ScanResult {
    complete = List.copyOf(complete);
    duplicates = List.copyOf(duplicates);
    vanished = List.copyOf(vanished);
    weightless = List.copyOf(weightless);
    unreadable = List.copyOf(unreadable);
    unready = List.copyOf(unready);
  }

  public ScanResult(List<CheckpointDir> complete, List<DuplicateStep> duplicates, List<CheckpointDir> vanished) {
    this(complete, duplicates, vanished, List.of(), List.of(), List.of());
  }

  /**
   * A step folder whose files could not be listed or measured: permissions, a link loop, a file
   * system that failed. It is looked at again at every scan.
   *
   * @param why the folder and the error, in one line
   */
  public record Unreadable(CheckpointDir checkpoint, String why) {}

  /**
   * A step folder the trainer has finished (its ready file is written, or it stopped changing and
   * a later step's folder exists) without safetensors weights where the layout looks for them:
   * it will never be sent, so it is reported rather than waited for.
   *
   * @param why what the folder holds instead, and how to make the trainer save safetensors
   */
  public record Weightless(CheckpointDir checkpoint, String why) {}
}
