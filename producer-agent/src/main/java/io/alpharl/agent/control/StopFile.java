package io.alpharl.agent.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpharl.proto.v1.ControlDecision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.Optional;

/**
 * The early-stop decision as a trainer sees it: a {@code STOP} file in its output directory whose
 * content is the decision as JSON. Written under a temporary name and renamed, so a trainer that
 * checks for the file never reads half of it.
 */
public final class StopFile {
  public static final String NAME = "STOP";
  /**
   * Beside {@link #NAME}: the decision the folder was told, kept after the user deletes the STOP
   * file to train on. A restarted agent (every run of a {@code watch --once} cron is one) read the
   * decision again and wrote the STOP again, and the training the user meant to go on stopped.
   */
  public static final String TOLD = ".STOP.told";
  /** Doubles in the JDK 19 algorithm on every JDK ({@link io.alpharl.proto.text.Decimals}): the same bytes from JDK 17 and 21 instances. */
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

  private StopFile() {}

  public static String json(ControlDecision d) {
    ObjectNode n = JSON.createObjectNode();
    n.put("run_id", d.getRunId());
    n.put("action", d.getAction().name().replace("CONTROL_ACTION_", "").toLowerCase());
    n.put("at_step", d.getAtStep());
    n.put("reason", d.getReason());
    n.put("predicted_model", d.getModelPath());
    n.put("confidence", d.getConfidence());
    n.put("decided_unix_ms", d.getDecidedUnixMs());
    return n.toString();
  }

  /**
   * When the run's STOP file was written, if the folder holds one for this run: one naming another
   * run (an earlier run's, left in a reused folder) is not this run's, as the trainer's callback
   * also ignores it; one without a run id (a user's {@code touch STOP}) is.
   */
  public static Optional<FileTime> of(Path runDir, String runId) {
    Path stop = runDir.resolve(NAME);
    try {
      FileTime written = Files.getLastModifiedTime(stop);
      String text = Files.readString(stop, StandardCharsets.UTF_8).strip();
      String named = "";
      if (!text.isEmpty()) {
        try {
          named = JSON.readTree(text).path("run_id").asText("");
        } catch (IOException notJson) {
          named = "";
        }
      }
      return named.isEmpty() || named.equals(runId) ? Optional.of(written) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty(); // none, or gone while read
    }
  }

  /** Whether the run folder's STOP file is this decision's, as {@link #write} writes it. */
  public static boolean holds(Path runDir, ControlDecision d) {
    return holdsText(runDir.resolve(NAME), json(d) + "\n");
  }

  /** Whether {@code file} holds {@code content}; false where it is missing or unreadable. */
  private static boolean holdsText(Path file, String content) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).equals(content);
    } catch (IOException absentOrUnreadable) {
      return false;
    }
  }

  /**
   * Writes the decision, unless the folder's STOP file says it already: a restarted agent reads
   * the decision again, and a STOP file written anew looked newer than the last checkpoint the
   * trainer saved after reading it, so the run could never be ended. For the same reason a STOP
   * that already counts for the run (a user's {@code touch STOP}, an empty file a power loss left,
   * another decision) keeps its time when the decision replaces it: the trainer stopped at the
   * first. Written to disk before it is moved into place, so a power loss leaves the old file or the
   * new one, never an empty one (which counts as a user's STOP).
   */
  public static Path write(Path runDir, ControlDecision d) throws IOException {
    Path stop = runDir.resolve(NAME);
    String content = json(d) + "\n";
    if (holdsText(stop, content)) {
      markTold(runDir, content);
      return stop;
    }
    Path moved = replace(stop, runDir.resolve("." + NAME + ".tmp"), content, of(runDir, d.getRunId()));
    markTold(runDir, content); // after the STOP: killed in between, the next write finds the STOP in place and marks it
    return moved;
  }

  /**
   * Puts {@code content} in place of {@code file}: written as {@code tmp} beside it and forced to
   * disk, given {@code time} where there is one, then moved over it in one step.
   */
  private static Path replace(Path file, Path tmp, String content, Optional<FileTime> time) throws IOException {
    // The folder is the trainer's: a link left at this name was written through, with the agent's rights, wherever it led.
    Files.deleteIfExists(tmp);
    try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        out.write(bytes);
      }
      out.force(true);
    }
    if (time.isPresent()) {
      Files.setLastModifiedTime(tmp, time.get());
    }
    return Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Whether the folder was told this decision ({@link #TOLD}) and holds no STOP file for the run
   * now: the user deleted it to train on, and it is not written again. Deleting {@link #TOLD} too
   * has it written again.
   */
  public static boolean withdrawn(Path runDir, ControlDecision d) {
    return holdsText(runDir.resolve(TOLD), json(d) + "\n") && of(runDir, d.getRunId()).isEmpty();
  }

  /**
   * Best effort: the STOP is in place whatever happens here. Thrown on, a failed record made the
   * written STOP look unwritten, and the follower wrote it again at every poll, saying it could not.
   */
  private static void markTold(Path runDir, String content) {
    Path told = runDir.resolve(TOLD);
    try {
      if (!holdsText(told, content)) {
        replace(told, runDir.resolve(TOLD + ".tmp"), content, Optional.empty());
      }
    } catch (IOException e) {
      org.slf4j.LoggerFactory.getLogger(StopFile.class).warn("cannot record in {} the decision its STOP file holds ({}): a restarted agent"
          + " would write that STOP again if the user deletes it", told, e.toString());
    }
  }
}
