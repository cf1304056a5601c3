package io.alpharl.bench.scale.gen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The small files a Hugging Face Trainer writes next to the weights: {@code config.json} and
 * {@code trainer_state.json} with {@code max_steps} and a {@code log_history} entry per step so
 * far carrying the step's {@code reward}.
 */
final class TrainerFiles {
  static final String CONFIG = "config.json";
  static final String TRAINER_STATE = "trainer_state.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainerFiles() {}

  static void writeConfig(Path dir, Map<String, Object> config) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(CONFIG).toFile(), config);
  }

  static void writeTrainerState(Path dir, long step, long maxSteps, RewardCurve reward) throws IOException {
    ObjectNode state = JSON.createObjectNode();
    state.put("global_step", step);
    state.put("max_steps", maxSteps);
    ArrayNode history = state.putArray("log_history");
    for (long s = 1; s <= step; s++) {
      history.addObject().put("step", s).put("reward", reward.at(s)).put("learning_rate", 1e-6);
    }
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(TRAINER_STATE).toFile(), state);
  }
}
