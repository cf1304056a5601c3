package io.alpharl.extrapolator.write;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.extrapolator.scan.CommittedDigests;
import io.alpharl.extrapolator.scan.DeltaScan;
import io.alpharl.extrapolator.scan.LoggedDeltas;
import io.alpharl.proto.manifest.BaseModelFingerprint;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * Writes one predicted model folder: W_0 from the base model the run's manifest names, checked
 * against the manifest's fingerprint first, plus the plan's update, with the carried tensors' ΔW
 * summed from the delta log tensor by tensor as the writer reaches them ({@link LoggedDeltas}),
 * written whole or not at all ({@link StagedFolder}), so a retried write replaces what an earlier
 * attempt left.
 */
public final class PredictedModelFolder {
  /**
   * @param dir         where the model is
   * @param bytes       bytes of model files written
   * @param foundAt     {@link System#nanoTime} when the carried tensors' frames were found in the log
   * @param summingNanos time spent summing the tensors' deltas from those frames, beside the writing
   *                    (the part of a write that grows with the run; the rest grows with the model)
   */
  public record Written(Path dir, long bytes, long foundAt, long summingNanos) {}

  private PredictedModelFolder() {}

  /**
   * @param dir     the model's folder; replaced whole
   * @param commits the run's commits, through the step predicted from
   * @param digests their per-tensor digests
   * @throws BaseModelChangedException when the base model is not the one the run started from
   */
  public static Written write(Path dir, String runId, RunManifest manifest, long runStartMs, NavigableMap<Long, StepCommitted> commits,
      CommittedDigests digests, long step,
      PredictionPlan plan, DeltaScan scan, ExtrapolationBackend backend) throws IOException {
    long bytes;
    long found;
    long summing = 0;
    try (Checkpoint base = Checkpoint.open(Path.of(manifest.getBaseModelPath()))) {
      requireRunsBase(manifest, base);
      Map<String, List<Long>> needed = new LinkedHashMap<>();
      for (TensorInfo t : manifest.getTensorsList()) {
        if (plan.needsDeltas(t.getName())) {
          needed.put(t.getName(), t.getShapeList());
        }
      }
      // Before the log is scanned for the deltas: a retry every 15 s while the room is short scans nothing.
      StagedFolder.requireRoom(dir, PredictedModelWriter.weightBytes(base, plan), "the model predicted from step " + step);
      try (LoggedDeltas sums = needed.isEmpty() ? null : scan.scan(runId, runStartMs, commits, digests, step, needed, plan::weight)) {
        found = System.nanoTime();
        // Durable before it is named, and named durably before the prediction that points at it is
        // published: a restarted extrapolator knows the prediction was made and does not write it again.
        bytes = StagedFolder.replace(dir, staging -> PredictedModelWriter.write(staging, base,
            plan.withSums(sums == null ? CarriedDeltas.NONE : sums), backend));
        summing = sums == null ? 0 : sums.summingNanos();
      }
    }
    return new Written(dir, bytes, found, summing);
  }

  /**
   * What the model in {@code dir} was written with, as its {@code alpharl_prediction.json} says
   * ({@code written_with}); empty where the folder, the file or the key is not there (a model of an
   * earlier build, or offline) or the file cannot be read as JSON.
   */
  public static Optional<String> writtenWith(Path dir) {
    Path meta = dir.resolve(PredictedModelWriter.METADATA_FILE);
    if (!java.nio.file.Files.isRegularFile(meta)) {
      return Optional.empty();
    }
    try {
      com.fasterxml.jackson.databind.JsonNode w = new com.fasterxml.jackson.databind.ObjectMapper().readTree(meta.toFile()).path("written_with");
      return w.isTextual() ? Optional.of(w.asText()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * One more pass over the base model per prediction (a second next to the write's), against a
   * model that is wrong without a word. The tensors must be the run's, name for name and shape for
   * shape, whether or not the manifest has fingerprints: the writer writes the base's tensors, so
   * one the run never streamed (a base saved again with an untied head) was written at W_0 under a
   * prediction that says window-end values, and one the base lacks was left out.
   */
  private static void requireRunsBase(RunManifest manifest, Checkpoint base) throws BaseModelChangedException {
    Map<String, List<Long>> ran = new java.util.TreeMap<>();
    manifest.getTensorsList().forEach(t -> ran.put(t.getName(), t.getShapeList()));
    Map<String, List<Long>> here = new java.util.TreeMap<>();
    base.tensors().values().forEach(t -> here.put(t.name(), t.shape()));
    if (!ran.equals(here)) {
      String first = ran.entrySet().stream().filter(e -> !e.getValue().equals(here.get(e.getKey()))).findFirst()
          .map(e -> here.containsKey(e.getKey()) ? "tensor " + e.getKey() + " has shape " + here.get(e.getKey()) + ", the run's " + e.getValue()
              : "it has no tensor " + e.getKey() + io.alpharl.safetensors.ComputedBuffers.whyMissing(e.getKey(), e.getValue()).orElse(""))
          .orElseGet(() -> "it has tensor " + here.keySet().stream().filter(n -> !ran.containsKey(n)).findFirst().orElseThrow()
              + ", which the run never streamed");
      throw new BaseModelChangedException(Path.of(manifest.getBaseModelPath()), first);
    }
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
