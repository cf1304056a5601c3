package io.alpharl.agent.checkpoint;

import java.nio.file.Path;

/** A {@code checkpoint-<step>} directory of a run. */
public record CheckpointDir(long step, Path path) {}
