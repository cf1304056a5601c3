package io.alpharl.itest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.bench.start.ExtrapolatorStart;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bench/run-extrapolator-start} at its smallest: every figure there and plausible, never how
 * fast anything was.
 */
class ExtrapolatorStartTinyIT {
  @TempDir
  Path tmp;

  @Test
  void tinyRunMeasuresEveryFigure() throws Exception {
    Path json = tmp.resolve("start.json");
    int exit = new CommandLine(new ExtrapolatorStart()).execute("--runs", "3", "--steps", "20", "--layers", "2", "--json", json.toString());
    assertThat(exit).isZero();
    JsonNode r = new ObjectMapper().readTree(json.toFile());
    // 3 runs × 20 steps × 2 axes fit summaries of 14 modules, each module's fit over 100 bytes
    assertThat(r.path("fit_bytes").asLong()).isGreaterThan(3L * 20 * 2 * 14 * 100);
    for (String key : List.of("first_start_seconds", "start_from_beginning_seconds", "start_from_replay_start_seconds",
        "from_beginning_vs_replay_start")) {
      assertThat(r.path(key).isNumber() && Double.isFinite(r.path(key).asDouble()) && r.path(key).asDouble() > 0).as("%s = %s", key, r.path(key))
          .isTrue();
    }
    assertThat(r.path("offsets_skipped_from_beginning").asLong()).as("a new id starts from the beginning").isZero();
    // Exactly the finished runs' records (2 manifests, 20 commits and 40 fits each): the live run, written last and not at rest, is read
    assertThat(r.path("offsets_skipped_from_replay_start").asLong()).isEqualTo(3L * (2 + 20 + 40));
  }
}
