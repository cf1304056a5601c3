package io.alpharl.agent.checkpoint;

import java.nio.file.Path;
import java.util.List;

/**
 * Two or more step folders naming the same step ({@code checkpoint-5} and {@code checkpoint-05}).
 * Neither is sent: which one holds the step's weights cannot be known, so the agent rejects the
 * step and names every folder.
 *
 * @param folders the step folders, sorted
 */
public record DuplicateStep(long step, List<Path> folders) {
  public DuplicateStep {
    folders = List.copyOf(folders);
  }
}
