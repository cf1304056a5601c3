package io.alpharl.extrapolator.write;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.scan.DeltaScan;
import io.alpharl.extrapolator.scan.SpilledSums;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * Writes one predicted model folder: W_0 from the base model the run's manifest names, checked
 * against the manifest's fingerprint first, plus the plan's update, with the carried tensors' ΔW
 * summed from the delta log into spill files. The folder is written under a staging name and moved
 * into place, so a reader never sees half a model and a retried write replaces what an earlier
 * attempt left.
 */
public final class PredictedModelFolder {
  /**
   * @param dir       where the model is
   * @param bytes     bytes of model files written
   * @param scannedAt {@link System#nanoTime} when the carried tensors' ΔW was summed from the log
   *                  (that part grows with the run; the rest with the model)
   */
  public record Written(Path dir, long bytes, long scannedAt) {}

  private PredictedModelFolder() {}

  /**
   * @param dir     the model's folder; replaced whole
   * @param spill   a folder of this write's own for the ΔW sums, deleted after
   * @param commits the run's commits, through the step predicted from
   * @throws BaseModelChangedException when the base model is not the one the run started from
   */
  public static Written write(Path dir, Path spill, String runId, RunManifest manifest, long runStartMs, NavigableMap<Long, StepCommitted> commits, long step,
      PredictionPlan plan, DeltaScan scan, ExtrapolationBackend backend) throws IOException {
    Path staging = dir.resolveSibling("." + dir.getFileName() + ".writing");
    long bytes;
    long scanned;
    try (SpilledSums sums = new SpilledSums(spill); Checkpoint base = Checkpoint.open(Path.of(manifest.getBaseModelPath()))) {
      requireRunsBase(manifest, base);
      Map<String, List<Long>> needed = new LinkedHashMap<>();
      for (TensorInfo t : manifest.getTensorsList()) {
        if (plan.needsDeltas(t.getName())) {
          needed.put(t.getName(), t.getShapeList());
        }
      }
      if (!needed.isEmpty()) {
        scan.sum(runId, runStartMs, commits, step, needed, plan::weight, sums);
      }
      scanned = System.nanoTime();
      SpilledSums.deleteLeftovers(staging);
      bytes = PredictedModelWriter.write(staging, base, plan.withSums(sums), backend);
    }
    SpilledSums.deleteLeftovers(dir);
    Files.createDirectories(dir.getParent());
    Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
    return new Written(dir, bytes, scanned);
  }

  /** One more pass over the base model per prediction (a second next to the write's), against a model that is wrong without a word. */
  private static void requireRunsBase(RunManifest manifest, Checkpoint base) throws BaseModelChangedException {
    Optional<BaseModelFingerprint> run = BaseModelFingerprint.of(manifest);
    if (run.isEmpty()) {
      return; // a manifest from before fingerprints
    }
    Optional<String> mismatch = BaseModelFingerprint.of(base).mismatch(run.get());
    if (mismatch.isPresent()) {
      throw new BaseModelChangedException(Path.of(manifest.getBaseModelPath()), mismatch.get());
    }
  }
}
