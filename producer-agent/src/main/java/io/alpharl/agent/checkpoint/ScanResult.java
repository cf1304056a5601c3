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
 */
public record ScanResult(List<CheckpointDir> complete, List<DuplicateStep> duplicates, List<CheckpointDir> vanished) {
  public ScanResult {
    complete = List.copyOf(complete);
    duplicates = List.copyOf(duplicates);
    vanished = List.copyOf(vanished);
  }
}
