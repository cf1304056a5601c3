package io.alpharl.bench.scale.probe;

import io.alpharl.bench.Folders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The model-write baseline: {@code cp -r} of one checkpoint directory, and the same copy followed
 * by {@code sync} of the copied files (the extrapolator fsyncs its model; a plain {@code cp} leaves
 * the data in the page cache). Each is run a few times, from a source in the page cache (as the
 * extrapolator's base model is).
 */
public final class CopyBaseline {
  /** Seconds of each plain copy and of each copy-then-sync, and the bytes copied. */
  public record Result(double[] copySeconds, double[] copySyncSeconds, long bytes) {}

  private CopyBaseline() {}

  public static Result measure(Path checkpointDir, Path scratch, int repetitions) throws IOException, InterruptedException {
    double[] copy = new double[repetitions];
    double[] synced = new double[repetitions];
    long bytes = size(checkpointDir);
    for (int i = 0; i < repetitions; i++) {
      Path dst = scratch.resolve("cp-" + i);
      copy[i] = run(List.of("cp", "-r", "--reflink=never", checkpointDir.toString(), dst.toString()));
      Folders.deleteTree(dst);
      double cp = run(List.of("cp", "-r", "--reflink=never", checkpointDir.toString(), dst.toString()));
      List<String> sync = new ArrayList<>(List.of("sync"));
      try (Stream<Path> files = Files.list(dst)) {
        files.forEach(f -> sync.add(f.toString()));
      }
      synced[i] = cp + run(sync);
      Folders.deleteTree(dst);
    }
    return new Result(copy, synced, bytes);
  }

  private static double run(List<String> command) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + out.strip());
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

}
