package io.alpharl.itest.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.alpharl.fit.FitSettings;
import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.processor.GroupSettings;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instances of one application must share their output settings: a run's fits changed when its
 * partition moved to an instance started with other fit settings, and one started with other
 * --factors wedged every instance once restarted. An instance whose settings differ from a live
 * member's refuses to start, naming it; one alike joins; with the group empty, settings may change.
 */
@ExtendWith(KafkaBrokerExtension.class)
class GroupSettingsIT {
  @TempDir
  Path work;

  @Test
  void anInstanceWithOtherSettingsThanALiveMembersRefusesToStart(@DedicatedBroker TestBroker broker) throws Exception {
    broker.ensureTopics();
    String app = "group-settings";
    try (RootAllocator allocator = new RootAllocator()) {
      try (ProcessorApp a = ProcessorApp.start(instance(broker, app, "a", FitSettings.defaults()), allocator)) {
        assertThatThrownBy(() -> ProcessorApp.start(instance(broker, app, "b", FitSettings.defaults().withMaxWindowPoints(8)), allocator))
            .isInstanceOf(GroupSettings.SettingsMismatchException.class).hasMessageContaining("instance a of processor application " + app);
        try (ProcessorApp c = ProcessorApp.start(instance(broker, app, "c", FitSettings.defaults()), allocator)) {
          assertThat(c.streams().state().isRunningOrRebalancing()).as("an instance alike joins").isTrue();
        }
      }
      try (ProcessorApp b = ProcessorApp.start(instance(broker, app, "b", FitSettings.defaults().withMaxWindowPoints(8)), allocator)) {
        assertThat(b.streams().state().isRunningOrRebalancing()).as("every instance stopped, the settings may change").isTrue();
      }
    }
  }

  private ProcessorConfig instance(TestBroker broker, String app, String id, FitSettings fit) {
    return ProcessorConfig.defaults(broker.bootstrapServers(), work.resolve("state-" + id)).withApplicationId(app).withFit(fit)
        .withScaling(new ProcessorConfig.Scaling(1, 0, Optional.of(id), Duration.ofSeconds(6)));
  }
}
