package io.alpharl.agent.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpharl.proto.v1.ControlDecision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The early-stop decision as a trainer sees it: a {@code STOP} file in its output directory whose
 * content is the decision as JSON. Written under a temporary name and renamed, so a trainer that
 * checks for the file never reads half of it.
 */
public final class StopFile {
  public static final String NAME = "STOP";
  private static final ObjectMapper JSON = new ObjectMapper();

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

  public static Path write(Path runDir, ControlDecision d) throws IOException {
    Path tmp = runDir.resolve("." + NAME + ".tmp");
    Files.writeString(tmp, json(d) + "\n", StandardCharsets.UTF_8);
    return Files.move(tmp, runDir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
