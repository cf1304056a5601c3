package io.alpharl.cli.agent;

import io.alpharl.agent.AgentConfig;
import io.alpharl.agent.CheckpointAgent;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.publish.RecordingStepSink;
import io.alpharl.cli.UserError;
import io.alpharl.cli.WritableDir;
import io.alpharl.proto.frame.RecordingReader;
import io.alpharl.proto.frame.RecordingWriter;
import io.alpharl.proto.v1.RunStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code alpharl agent record DIR --out FILE}: a finished run's checkpoints into one recording file. */
@Command(name = "record", mixinStandardHelpOptions = true,
    description = "Write the run in DIR (manifest, base weights, every step's delta frames and commit) to one Arrow IPC file.")
public final class RecordCommand implements Callable<Integer> {
  @Mixin
  RunDirOptions run;

  @Option(names = "--out", required = true, description = "Recording file to write (.arrow).")
  Path out;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    // A finished run: its files are final, so no wait for progress values or measuring again, and two scans a moment apart
    // tell complete checkpoints.
    AgentConfig config = run.checkedConfig(false).once();
    for (String unused : new String[] {"--poll-interval", "--progress-wait"}) {
      // Shared with watch, where they pace a live folder; a recording reads a finished one at once.
      if (spec.commandLine().getParseResult().hasMatchedOption(unused)) {
        spec.commandLine().getErr().println("alpharl agent record: " + unused + " is not used: a recording reads the finished run at once, without waiting");
      }
    }
    if (spec.commandLine().getParseResult().hasMatchedOption("--keyframe-every")) {
      // Keyframes only speed up a live model write; a recording keeps the deltas, from which a replay's write sums.
      spec.commandLine().getErr().println("alpharl agent record: --keyframe-every is not used: a recording keeps no keyframes (a replay's"
          + " model write sums its deltas from the start)");
    }
    WritableDir.requireNamed(out, "--out");
    if (Files.isDirectory(out)) {
      throw new UserError("--out " + out + " is a folder: give the recording's file, e.g. " + out.resolve(run.runId + ".arrow"));
    }
    WritableDir.require(out.toAbsolutePath().getParent(), "the folder of --out");
    Map<Path, String> inputs = new LinkedHashMap<>();
    inputs.put(config.basePath(), "the base model folder");
    CheckpointScanner scanner = new CheckpointScanner(config.runDir(), config.layout());
    scanner.present().forEach(c -> inputs.putIfAbsent(c.folder(), "the checkpoint folder"));
    WritableDir.requireApart(out, "--out", inputs);
    if (Files.exists(out) && !isRecording(out)) {
      throw new UserError("--out " + out + " exists and is not a recording: give a new file name (a recording there would be replaced)");
    }
    String nothing = null;
    long t0 = System.nanoTime();
    try (RootAllocator allocator = new RootAllocator();
         RecordingStepSink sink = new RecordingStepSink(writer(allocator, out));
         CheckpointAgent agent = new CheckpointAgent(config, sink, allocator, CheckpointAgent.Resume.NEW)) {
      agent.start();
      agent.poll();
      agent.poll(); // a checkpoint counts as complete once two scans agree on its files
      agent.requireRunFolderListed();
      // What a replay will end the run as: finished where its planned steps are all recorded, stopped early where they are not.
      agent.finish(agent.plannedSteps() > 0 && agent.lastStep() < agent.plannedSteps() ? RunStatus.RUN_STATUS_STOPPED_EARLY
          : RunStatus.RUN_STATUS_FINISHED);
      if (agent.lastStep() > 0) {
        sink.commit(); // only now: a recording that failed part way replaced a good one under --out, and replayed as a run never ended
      }
      if (agent.lastStep() > 0) {
        System.err.printf("recorded run %s through step %d: %.1f MB of deltas in %.1f s%n", run.runId, agent.lastStep(),
            agent.bytesOfDeltas() / 1e6, (System.nanoTime() - t0) / 1e9);
      }
      String refused = sink.refused().stream().limit(5).map(l -> "step " + l.getStep() + ": " + l.getDetail()).collect(Collectors.joining("; "))
          + (sink.refused().size() > 5 ? "; ..." : "");
      if (agent.lastStep() == 0) {
        // A recording of no step replays as nothing: said as the failure it is, with why, where it exited 0.
        nothing = !sink.refused().isEmpty() ? sink.refused().size() + " checkpoints refused (" + refused + ")" : scanner.leftOutSaid()
            .map(l -> "not read: " + l).orElse("no folder there matches the step folders' pattern " + config.layout().stepFolder().pattern()
                + " (--layout)");
      } else {
        if (!sink.refused().isEmpty()) {
          // Said last, where it is read: the log lines above scroll away on a long run.
          System.err.printf("%d checkpoints refused and not recorded (the next good one's delta covers each): %s%n", sink.refused().size(), refused);
        }
        notRecordedSaid(scanner, agent.lastStep(), sink);
      }
    }
    if (nothing != null) {
      throw new UserError("no step recorded from " + config.runDir() + ": " + nothing);
    }
    System.err.printf("wrote %s (%.1f MB)%n", out, Files.size(out) / 1e6);
    return 0;
  }

  /**
   * Says the step folders the recording holds nothing of though they are there: past its last step
   * and not refused (a checkpoint still being saved, or one that changed while it was read), or not
   * complete at all (no weights, no ready file). They were passed over in silence, and the
   * recording replays as a run that stopped before them.
   */
  private static void notRecordedSaid(CheckpointScanner scanner, long lastStep, RecordingStepSink sink) {
    java.util.Set<Long> refused = sink.refused().stream().map(io.alpharl.proto.v1.DeadLetter::getStep).collect(Collectors.toSet());
    java.util.List<String> missed = new java.util.ArrayList<>(scanner.present().stream().filter(c -> c.step() > lastStep && !refused.contains(c.step()))
        .map(c -> c.folder().getFileName() + " (changed while it was read)").toList());
    missed.addAll(scanner.leftOut());
    if (!missed.isEmpty()) {
      System.err.printf("%d step folders not recorded: %s%s; record again once the trainer has saved them%n", missed.size(),
          String.join("; ", missed.subList(0, Math.min(5, missed.size()))), missed.size() > 5 ? "; ..." : "");
    }
  }

  private static RecordingWriter writer(RootAllocator allocator, Path out) throws IOException {
    try {
      return new RecordingWriter(allocator, out);
    } catch (RecordingWriter.InUseException e) {
      throw new UserError(e.getMessage() + ": let it finish, or give another --out");
    }
  }

  /** Whether {@code file} is a recording (which --out may replace), not a file of the user's. */
  private static boolean isRecording(Path file) {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (RootAllocator allocator = new RootAllocator(); RecordingReader reader = new RecordingReader(allocator, file)) {
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
