package io.alpharl.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * Scores a model of the bundled run with {@code examples/trainer/trainer.py eval} (Debian's
 * python3-torch). Scoring is optional: without Python and torch the demo says how to get them.
 */
final class ModelScorer {
  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private final Path trainer;

  ModelScorer(Path trainer) {
    this.trainer = trainer;
  }

  /** Why scoring is unavailable, or null when it works. */
  String unavailableReason() {
    if (!Files.isRegularFile(trainer)) {
      return "no " + trainer;
    }
    if (!Files.isExecutable(PYTHON)) {
      return "no /usr/bin/python3 (apt-get install python3-torch)";
    }
    try {
      Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "python3 has no torch (apt-get install python3-torch)";
      }
    } catch (IOException e) {
      return "cannot run python3: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    return null;
  }

  /** Eval accuracy of the model in {@code modelDir}, or empty when the trainer failed. */
  OptionalDouble accuracy(Path modelDir) {
    try {
      Process p = new ProcessBuilder(PYTHON.toString(), trainer.toString(), "eval", "--model", modelDir.resolve("model.safetensors").toString(), "--n", "1000")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return OptionalDouble.empty();
      }
      String last = out.strip().lines().reduce((a, b) -> b).orElse("{}");
      return OptionalDouble.of(new ObjectMapper().readTree(last).get("eval_accuracy").asDouble());
    } catch (IOException | RuntimeException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    }
  }
}
