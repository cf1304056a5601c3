package io.alpharl.itest.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.itest.kafka.DedicatedBroker;
import io.alpharl.itest.kafka.KafkaBrokerExtension;
import io.alpharl.itest.kafka.TestBroker;
import io.alpharl.itest.processor.ProcessorOnBundledRunIT.Outputs;
import io.alpharl.itest.support.BundledRun;
import io.alpharl.processor.ProcessorApp;
import io.alpharl.processor.ProcessorConfig;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delta log is the only copy of ΔW: a processor rebuilds it by replaying {@code alpharl.deltas}.
 * When the log has lost the run's first steps (a topic an administrator made with a week's
 * retention, and a run longer than that), the rebuilt ΔW lacks them. Summing the later deltas onto
 * it would give fits of a wrong ΔW without a word; each delta names the step it follows, so the
 * processor refuses them instead, as dead letters that say what is missing, and fits nothing.
 */
@ExtendWith(KafkaBrokerExtension.class)
class DeltaLogLostItsHeadIT {
  @TempDir
  Path stateBefore;
  @TempDir
  Path stateAfter;
  @TempDir
  Path baseDir;

  @Test
  void aProcessorRebuiltFromALogMissingTheFirstStepsRefusesTheLaterOnesInsteadOfFittingAWrongDeltaW(@DedicatedBroker TestBroker broker) throws Exception {
    // A broker of its own: the records it deletes, and the run it leaves half refused, are no other test's.
    broker.ensureTopics();
    String runId = "head-" + UUID.randomUUID().toString().substring(0, 8);
    List<Long> steps = BundledRun.steps().subList(1, BundledRun.steps().size());
    long cut = steps.get(steps.size() / 3);
    List<Long> later = steps.stream().filter(s -> s > cut).toList();
    ProcessorConfig config = ProcessorConfig.defaults(broker.bootstrapServers(), stateBefore).withApplicationId("it-processor-" + runId);
    try (RootAllocator allocator = new RootAllocator()) {
      try (ProcessorApp first = ProcessorApp.start(config, allocator)) {
        BundledRun.replay(broker.bootstrapServers(), runId, allocator, baseDir, 0, cut);
        Outputs.read(broker, runId, o -> o.fitsFor(cut) == 2, Duration.ofSeconds(120));
      }
      deleteEveryDeltaSoFar(broker);

      try (ProcessorApp second = ProcessorApp.start(config.withStateDir(stateAfter), allocator)) {
        BundledRun.replay(broker.bootstrapServers(), runId, allocator, baseDir, cut, Long.MAX_VALUE);
        Outputs.read(broker, runId, o -> missingSteps(o).keySet().containsAll(later), Duration.ofSeconds(180));
        // Then everything published by then, read to its end: the read above stops at the last letter, and a fit of a wrong ΔW on
        // another partition could still lie ahead of it.
        Outputs out = Outputs.read(broker, runId, o -> o.caughtUp, Duration.ofSeconds(60));
        assertThat(missingSteps(out).keySet()).containsAll(later);

        assertThat(out.fits.keySet()).as("fits after the cut would be of a ΔW without the first %d steps", cut)
            .allMatch(k -> Long.parseLong(k.substring(0, k.indexOf('@'))) <= cut);
        // A module whose copy (every 32 steps by default, at a phase of its own) was taken at the cut holds its whole ΔW and goes on;
        // every other module's later steps are refused, and with them the run's fits.
        Set<String> refused = out.deadLetters.stream().filter(d -> d.getReason() == RejectReason.REJECT_REASON_MISSING_STEP)
            .map(d -> d.getOriginalKey().toStringUtf8()).map(k -> k.substring(k.indexOf('/') + 1)).collect(Collectors.toSet());
        assertThat(refused).as("modules refused after the cut").isNotEmpty();
        assertThat(out.factors.keySet()).as("factors after the cut only of modules whose ΔW was whole")
            .allMatch(k -> Long.parseLong(k.substring(k.lastIndexOf('@') + 1)) <= cut || !refused.contains(k.substring(0, k.lastIndexOf('@'))));
        DeadLetter firstAfterCut = missingSteps(out).get(later.get(0));
        assertThat(firstAfterCut.getSourceTopic()).isEqualTo(Topics.DELTAS.name());
        // Without a copy a module holds nothing of the lost steps (0); with one (every 32 steps by default, each module at its own
        // phase) it holds the steps up to its copy, which the deletion did not touch, and still not those between it and the cut.
        assertThat(firstAfterCut.getDetail()).contains("step " + later.get(0), "follows step " + cut);
        java.util.regex.Matcher held = java.util.regex.Pattern.compile("newest step applied here is (\\d+)").matcher(firstAfterCut.getDetail());
        assertThat(held.find()).as(firstAfterCut.getDetail()).isTrue();
        assertThat(Long.parseLong(held.group(1))).isLessThan(cut);
      }
    }
  }

  /** Run step → one of its MISSING_STEP dead letters. */
  private static Map<Long, DeadLetter> missingSteps(Outputs o) {
    return o.deadLetters.stream().filter(d -> d.getReason() == RejectReason.REJECT_REASON_MISSING_STEP)
        .collect(Collectors.toMap(DeadLetter::getStep, d -> d, (a, b) -> a));
  }

  /** What retention does to a run older than the topic keeps records: its deltas so far are gone. */
  private static void deleteEveryDeltaSoFar(TestBroker broker) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      Set<TopicPartition> partitions = admin.describeTopics(List.of(Topics.DELTAS.name())).allTopicNames().get().get(Topics.DELTAS.name())
          .partitions().stream().map(p -> new TopicPartition(Topics.DELTAS.name(), p.partition())).collect(Collectors.toSet());
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
      Map<TopicPartition, RecordsToDelete> delete = new HashMap<>();
      admin.listOffsets(latest).all().get().forEach((p, info) -> delete.put(p, RecordsToDelete.beforeOffset(info.offset())));
      admin.deleteRecords(delete).all().get();
    }
  }

}
