package io.alpharl.bench;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.extrapolator.backend.ExtrapolationBackends;
import io.alpharl.extrapolator.model.CarriedDeltas;
import io.alpharl.extrapolator.model.ModulePlan;
import io.alpharl.extrapolator.model.PredictedModelWriter;
import io.alpharl.extrapolator.model.PredictionPlan;
import io.alpharl.fit.predict.UpdatePlan;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writing a predicted model (read W_0, rank-1 update of every module, convert, write) against a
 * plain copy of a file of the same size, both measured here, three times each, best time kept.
 *
 * <pre>  bench/run-model-write [modules] [rows] [cols]   (default 16 modules of 4096 x 4096 bf16, 512 MiB)</pre>
 */
public final class ModelWriteBench {
  private ModelWriteBench() {}

  public static void main(String[] args) throws IOException {
    int modules = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int m = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 4096;
    Path dir = Files.createTempDirectory("alpharl-write-bench");
    try {
      Path baseDir = Files.createDirectories(dir.resolve("base"));
      SafetensorsWriter base = new SafetensorsWriter(Map.of());
      for (int i = 0; i < modules; i++) {
        base.add("model.layers." + i + ".mlp.up_proj.weight", DType.BF16, List.of((long) m, (long) n));
      }
      SplittableRandom r = new SplittableRandom(1);
      float[] values = new float[m * n];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (r.nextDouble() - 0.5) * 0.04f;
      }
      base.writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), (name, sink) -> sink.put(FloatBuffer.wrap(values)));
      Map<String, ModulePlan> predictions = new HashMap<>();
      for (int i = 0; i < modules; i++) {
        float[] x = new float[m];
        float[] v = new float[n];
        for (int k = 0; k < m; k++) {
          x[k] = (float) r.nextGaussian() * 1e-3f;
        }
        for (int k = 0; k < n; k++) {
          v[k] = (float) r.nextGaussian() / (float) Math.sqrt(n);
        }
        String name = "model.layers." + i + ".mlp.up_proj.weight";
        predictions.put(name, new ModulePlan(name, "alpharl", new UpdatePlan("alpharl", new double[1], 1, x, v), 0, 0));
      }
      PredictionPlan plan = new PredictionPlan("bench", 80, new long[] {80}, ProgressAxis.PROGRESS_AXIS_STEP, 200, 1, predictions, true,
          CarriedDeltas.NONE, Map.of(), PredictionPlan.Verdict.NONE, Map.of());
      long bytes = Files.size(baseDir.resolve(Checkpoint.SINGLE_FILE));
      double copy = Double.MAX_VALUE;
      double copySynced = Double.MAX_VALUE;
      double write = Double.MAX_VALUE;
      String backendName;
      try (Checkpoint checkpoint = Checkpoint.open(baseDir); ExtrapolationBackend backend = ExtrapolationBackends.create(ExtrapolationBackends.Choice.AUTO, 0)) {
        backendName = backend.name();
        for (int rep = 0; rep < 3; rep++) {
          long t0 = System.nanoTime();
          Files.copy(baseDir.resolve(Checkpoint.SINGLE_FILE), dir.resolve("copy.safetensors"), StandardCopyOption.REPLACE_EXISTING);
          copy = Math.min(copy, (System.nanoTime() - t0) / 1e9);
          // The writer fsyncs its file (a predicted model must survive a crash); so does this copy.
          t0 = System.nanoTime();
          Files.copy(baseDir.resolve(Checkpoint.SINGLE_FILE), dir.resolve("copy.safetensors"), StandardCopyOption.REPLACE_EXISTING);
          try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve("copy.safetensors"), java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(false);
          }
          copySynced = Math.min(copySynced, (System.nanoTime() - t0) / 1e9);
          t0 = System.nanoTime();
          PredictedModelWriter.write(dir.resolve("pred"), checkpoint, plan, backend);
          write = Math.min(write, (System.nanoTime() - t0) / 1e9);
        }
      }
      System.out.printf("predicted model of %d modules %dx%d bf16 (%.0f MB), backend %s%n", modules, m, n, bytes / 1e6, backendName);
      System.out.printf("plain file copy: %.2f GB/s; predicted-model write: %.2f GB/s; write takes %.2fx the copy's time%n",
          bytes / copy / 1e9, bytes / write / 1e9, write / copy);
      System.out.printf("plain file copy with fsync: %.2f GB/s; write takes %.2fx its time%n", bytes / copySynced / 1e9, write / copySynced);
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
