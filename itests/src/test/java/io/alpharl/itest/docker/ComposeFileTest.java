package io.alpharl.itest.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The compose file keeps the broker's log in a named volume at the folder the broker logs to, and
 * publishes ports on loopback alone.
 * Without it the image logged to /tmp inside its container: {@code docker compose down} took every
 * topic, while the processor's state and the predictions, in volumes, stayed and no longer matched
 * the log. (Read as text: no Docker here to run it.)
 */
class ComposeFileTest {
  @Test
  void theBrokersLogDirIsANamedVolume() throws IOException {
    String compose = Files.readString(Path.of("..", "docker", "compose.yaml"));
    Matcher dir = Pattern.compile("(?m)^\\s+KAFKA_LOG_DIRS:\\s*(\\S+)\\s*$").matcher(compose);
    assertThat(dir.find()).as("KAFKA_LOG_DIRS set").isTrue();
    Matcher volume = Pattern.compile("(?m)^\\s+- ([a-z-]+):" + Pattern.quote(dir.group(1)) + "\\s*$").matcher(compose);
    assertThat(volume.find()).as("a named volume mounted at " + dir.group(1)).isTrue();
    assertThat(compose).containsPattern("(?m)^volumes:(\\n  [a-z-]+:)*\\n  " + Pattern.quote(volume.group(1)) + ":");
  }

  /**
   * Its broker listens in PLAINTEXT without ACLs and its pages answer anyone: published on every
   * interface (Docker's published ports pass by the host's firewall), anyone who reached the host
   * could write a run's stop decision and read every ΔW. Each port is published on loopback.
   */
  @Test
  void everyPublishedPortIsOnLoopback() throws IOException {
    String compose = Files.readString(Path.of("..", "docker", "compose.yaml"));
    Matcher port = Pattern.compile("(?m)^\\s+ports:\\s*\\n((?:\\s+- .*\\n)+)").matcher(compose);
    int published = 0;
    while (port.find()) {
      for (String line : port.group(1).strip().split("\\n")) {
        assertThat(line.strip()).matches("- \"127\\.0\\.0\\.1:[0-9]+:[0-9]+\"");
        published++;
      }
    }
    assertThat(published).isEqualTo(3);
  }
}
