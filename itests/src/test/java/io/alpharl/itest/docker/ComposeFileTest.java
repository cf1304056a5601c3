package io.alpharl.itest.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.cli.AlphaRl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

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
   * Each service's command names options its alpharl command has, and the folders whose paths go
   * into the log (W_0's in the manifest, a decision's predicted model) are mounted at their own
   * paths, with nothing made by Docker. The agent had no --base: on a trainer that never writes
   * checkpoint-0 it exited at once, and nothing restarted it.
   */
  @Test
  @SuppressWarnings("unchecked")
  void servicesUseTheCommandsOptionsAndMountTheHostsPathsAtTheirOwn() throws IOException {
    Map<String, Object> compose = new Yaml().load(Files.readString(Path.of("..", "docker", "compose.yaml")));
    Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
    CommandLine alpharl = new CommandLine(new AlphaRl());
    for (String name : List.of("agent", "processor", "extrapolator")) {
      Map<String, Object> service = services.get(name);
      Object command = service.get("command");
      List<String> words = command instanceof List<?> l ? (List<String>) l : List.of(((String) command).trim().split("\\s+"));
      CommandLine sub = alpharl.getSubcommands().get(words.get(0));
      int first = 1;
      if (words.size() > 1 && sub.getSubcommands().containsKey(words.get(1))) {
        sub = sub.getSubcommands().get(words.get(1));
        first = 2;
      }
      Set<String> options = sub.getCommandSpec().optionsMap().keySet();
      for (String word : words.subList(first, words.size())) {
        if (word.startsWith("--")) {
          assertThat(options).as(name + "'s command option " + word).contains(word);
        }
      }
      assertThat(service.get("restart")).as(name + " started again after a failure").isEqualTo("on-failure");
      assertThat(service.get("stop_grace_period")).as(name + " given time to close").isNotNull();
      for (Object volume : (List<Object>) service.get("volumes")) {
        if (volume instanceof Map<?, ?> bind) {
          assertThat(bind.get("target")).as(name + ": a host folder at its own path").isEqualTo(bind.get("source"));
          assertThat(((Map<String, Object>) bind.get("bind")).get("create_host_path")).as(name + ": a folder Docker would make as root").isEqualTo(false);
        }
      }
    }
    assertThat((String) services.get("agent").get("command")).contains("--base ${ALPHARL_BASE_DIR:?");
    Map<String, Object> kafka = (Map<String, Object>) services.get("kafka").get("environment");
    assertThat(kafka).containsEntry("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false").containsEntry("KAFKA_OFFSETS_RETENTION_MINUTES", Integer.MAX_VALUE);
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
