package io.alpharl.bench.scale;

import io.alpharl.bench.Folders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The benchmark's working folder: the watched run directory, the generator's master, the broker's
 * and processor's data, predicted models and the services' logs. It must be empty or absent, or a
 * previous run's (it then has a marker file and is emptied): a folder of the user's is never
 * deleted by mistake.
 */
final class WorkDir {
  static final String MARKER = ".alpharl-run-scale";

  private final Path root;

  private WorkDir(Path root) {
    this.root = root;
  }

  static WorkDir prepare(Path root) throws IOException {
    if (Files.isDirectory(root)) {
      boolean empty;
      try (Stream<Path> s = Files.list(root)) {
        empty = s.findAny().isEmpty();
      }
      if (!empty && !Files.exists(root.resolve(MARKER))) {
        throw new IllegalArgumentException("--work " + root + " is not empty and not a previous run-scale folder; give an empty or new folder");
      }
      Folders.deleteContents(root);
    }
    Files.createDirectories(root);
    Files.writeString(root.resolve(MARKER), "made by bench/run-scale; deleted and remade by the next run with this --work\n");
    for (String sub : new String[] {"run", "logs", "broker", "state", "agent-state", "predictions", "scratch"}) {
      Files.createDirectories(root.resolve(sub));
    }
    return new WorkDir(root);
  }

  Path root() {
    return root;
  }

  /** The trainer's output directory the agent watches. */
  Path run() {
    return root.resolve("run");
  }

  Path master() {
    return root.resolve("master.f32");
  }

  Path log(String service) {
    return root.resolve("logs").resolve(service + ".log");
  }

  Path brokerData() {
    return root.resolve("broker");
  }

  Path processorState() {
    return root.resolve("state");
  }

  /** The agent's running sum: in the work folder, so that its disk writes are on the store the bench checks, and removed with it. */
  Path agentState() {
    return root.resolve("agent-state");
  }

  Path predictions() {
    return root.resolve("predictions");
  }

  Path scratch() {
    return root.resolve("scratch");
  }

  void delete() throws IOException {
    Folders.deleteTree(root);
  }
}
