package io.alpharl.extrapolator;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.policy.EarlyStopPolicy;
import io.alpharl.proto.topic.KafkaClients;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ExtrapolatorConfigTest {
  /** A prediction names its model's folder: two spellings of one folder made a restart write and publish every model again. */
  @Test
  void spellingsOfOneOutputFolderAreOneFolder() {
    Path plain = config(Path.of("preds")).outputDir();
    assertThat(plain).isEqualTo(Path.of("preds").toAbsolutePath());
    assertThat(config(Path.of("./preds")).outputDir()).isEqualTo(plain);
    assertThat(config(Path.of("x", "..", "preds")).outputDir()).isEqualTo(plain);
    assertThat(config(plain.resolve(".")).outputDir()).isEqualTo(plain);
  }

  private static ExtrapolatorConfig config(Path out) {
    return ExtrapolatorConfig.of(KafkaClients.of("127.0.0.1:1"), "x", "p", out, EarlyStopPolicy.defaults());
  }
}
