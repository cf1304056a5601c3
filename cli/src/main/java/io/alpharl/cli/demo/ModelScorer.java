package io.alpharl.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * Scores a model of the bundled run with {@code examples/trainer/trainer.py eval}, in the Python
 * named by {@code ALPHARL_PYTHON}, else the first {@code python3} on PATH (an ML user's venv or
 * conda environment, where their torch is), else Debian's with python3-torch. Scoring is optional:
 * without Python and torch the demo says how to get them.
 */
final class ModelScorer {
  static final String PYTHON_VARIABLE = "ALPHARL_PYTHON";
  private static final Path DEBIAN_PYTHON = Path.of("/usr/bin/python3");
  private final Path trainer;
  /** The Pythons to try, in order; the first with torch scores. */
  private final List<Path> candidates;
  /** The first of them with torch, once {@link #unavailableReason} found it. */
  private Path python;

  ModelScorer(Path trainer) {
    this(trainer, pythons(System.getenv(PYTHON_VARIABLE), System.getenv("PATH")));
  }

  ModelScorer(Path trainer, List<Path> candidates) {
    this.trainer = trainer;
    this.candidates = candidates;
  }

  /**
   * {@code named} alone where given (a command name is looked up on {@code path}); else the first
   * executable {@code python3} on {@code path}, then Debian's, whose python3-torch the README names.
   */
  static List<Path> pythons(String named, String path) {
    if (named != null && !named.isBlank()) {
      return List.of(named.contains("/") ? Path.of(named) : onPath(named, path).orElse(Path.of(named)));
    }
    java.util.LinkedHashSet<Path> out = new java.util.LinkedHashSet<>();
    onPath("python3", path).ifPresent(out::add);
    out.add(DEBIAN_PYTHON);
    return List.copyOf(out);
  }

  private static Optional<Path> onPath(String command, String path) {
    if (path != null) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        Path candidate = dir.isEmpty() ? null : Path.of(dir, command);
        if (candidate != null && Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /** Why scoring is unavailable, or null when it works (the Python it scores with chosen). */
  String unavailableReason() {
    if (!Files.isRegularFile(trainer)) {
      return "no " + trainer;
    }
    List<String> tried = new java.util.ArrayList<>();
    for (Path candidate : candidates) {
      if (!Files.isExecutable(candidate)) {
        tried.add("no " + candidate);
        continue;
      }
      try {
        if (run(Duration.ofSeconds(60), candidate.toString(), "-c", "import torch").isPresent()) {
          python = candidate;
          return null;
        }
        tried.add(candidate + " has no torch");
      } catch (IOException e) {
        tried.add("cannot run " + candidate + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted";
      }
    }
    return String.join("; ", tried) + " (install torch there, set " + PYTHON_VARIABLE + " to a Python that has it, or apt-get install python3-torch)";
  }

  /**
   * Eval accuracy of the model in {@code modelDir}, or empty when the trainer failed or took over 5
   * minutes, or no Python with torch was found ({@link #unavailableReason} first).
   */
  OptionalDouble accuracy(Path modelDir) {
    if (python == null) {
      return OptionalDouble.empty();
    }
    try {
      Optional<String> out = run(Duration.ofMinutes(5), python.toString(), trainer.toString(), "eval", "--model",
          modelDir.resolve("model.safetensors").toString(), "--n", "1000");
      if (out.isEmpty()) {
        return OptionalDouble.empty();
      }
      String last = out.get().strip().lines().reduce((a, b) -> b).orElse("{}");
      return OptionalDouble.of(new ObjectMapper().readTree(last).get("eval_accuracy").asDouble());
    } catch (IOException | RuntimeException e) {
      return OptionalDouble.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalDouble.empty();
    }
  }

  /**
   * The command's output where it exits 0 within {@code timeout}; empty otherwise, the process killed if still running. The output
   * goes to a file, not a pipe: read from a pipe until its end, a hung eval held the demo for ever, the time limit never reached.
   */
  static Optional<String> run(Duration timeout, String... command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("alpharl-score-", ".log");
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor();
        return Optional.empty();
      }
      return p.exitValue() == 0 ? Optional.of(Files.readString(log, StandardCharsets.UTF_8)) : Optional.empty();
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
