package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The log is the truth: every topic a service rebuilds its state from keeps every record. Only the
 * keyframes, which the services read to go faster, are compacted.
 */
class TopicsTest {
  @Test
  void everyTopicButTheKeyframesKeepsEveryRecord() {
    List<TopicLayout> layouts = Topics.layouts(4, (short) 1);
    assertThat(layouts).extracting(TopicLayout::name).contains(Topics.RUNS.name(), Topics.STEPS.name(), Topics.DELTAS.name());
    for (TopicLayout l : layouts) {
      // Readers find a run's records by its agent's clock: a cluster stamping them with the broker's (LogAppendTime) hid its first ones.
      assertThat(l.configs()).as(l.name()).containsEntry("message.timestamp.type", "CreateTime");
      if (l.name().equals(Topics.SUMS.name())) {
        assertThat(l.configs()).containsEntry("cleanup.policy", "compact,delete");
        continue;
      }
      // A compacted alpharl.runs kept a run's newest manifest only, stamped after its steps: read afresh, the steps came first.
      // Each set on the topic: a broker's log.retention.bytes or log.cleanup.policy would apply to one left out.
      assertThat(l.configs()).as(l.name()).containsEntry("retention.ms", "-1").containsEntry("retention.bytes", "-1")
          .containsEntry("cleanup.policy", "delete").doesNotContainKey("min.insync.replicas");
    }
  }

  /**
   * A manifest and a commit hold a line per tensor, a fit and a score one per module: for an MoE
   * model's thousands of expert matrices (Qwen3-30B-A3B: 48 layers of 128 experts of three
   * matrices, and attention and norms) they pass the broker's default 1 MiB, and a topic at it
   * refused the agent's manifest and the processor's fit (which stopped it for every run).
   */
  @Test
  void topicsOfRecordsThatGrowWithTheModelTake16MiB() {
    io.alpharl.proto.v1.RunManifest.Builder m = io.alpharl.proto.v1.RunManifest.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId("r");
    io.alpharl.proto.v1.StepCommitted.Builder c = io.alpharl.proto.v1.StepCommitted.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId("r").setStep(1);
    for (int layer = 0; layer < 48; layer++) {
      for (int e = 0; e < 128; e++) {
        for (String p : new String[] {"gate_proj", "up_proj", "down_proj"}) {
          String name = "model.layers." + layer + ".mlp.experts." + e + "." + p + ".weight";
          m.addTensors(io.alpharl.proto.v1.TensorInfo.newBuilder().setName(name).addShape(768).addShape(2048).setModelled(true)
              .setDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16).setBaseCrc32C(0x9e3779b9).setCheckpointDtype(io.alpharl.proto.v1.DType.D_TYPE_BF16));
          c.addTensors(io.alpharl.proto.v1.TensorDigest.newBuilder().setTensorName(name).setChunkCount(6).setValuesCrc32C(0x9e3779b9));
        }
      }
    }
    assertThat(m.build().getSerializedSize()).as("the experts' manifest").isGreaterThan(1 << 20).isLessThan(Topics.MAX_FACTORS_RECORD_BYTES);
    assertThat(c.build().getSerializedSize()).as("a commit of them").isGreaterThan(1 << 20).isLessThan(Topics.MAX_FACTORS_RECORD_BYTES);
    List<TopicLayout> layouts = Topics.layouts(4, (short) 1);
    assertThat(layouts).filteredOn(l -> Topics.LARGE_RECORD_TOPICS.contains(l.name())).extracting(TopicLayout::name)
        .containsExactlyInAnyOrder(Topics.RUNS.name(), Topics.STEPS.name(), Topics.RANK1.name(), Topics.FITS.name(), Topics.SCORES.name())
        .hasSize(Topics.LARGE_RECORD_TOPICS.size());
    assertThat(layouts).allSatisfy(l -> assertThat(l.configs().get("max.message.bytes")).as(l.name())
        .isEqualTo(Topics.LARGE_RECORD_TOPICS.contains(l.name()) ? String.valueOf(Topics.MAX_FACTORS_RECORD_BYTES) : null));
  }

  @Test
  void withThreeReplicasAWriteCountsOnlyOnceTwoHoldIt() {
    assertThat(Topics.layouts(4, (short) 3)).allSatisfy(l -> assertThat(l.configs()).as(l.name()).containsEntry("min.insync.replicas", "2"));
    assertThat(Topics.layouts(4, (short) 2)).allSatisfy(l -> assertThat(l.configs()).as(l.name()).doesNotContainKey("min.insync.replicas"));
    assertThat(Topics.layouts(4, TopicLayout.BROKER_DEFAULT)).allSatisfy(l -> {
      assertThat(l.configs()).as(l.name()).doesNotContainKey("min.insync.replicas");
      assertThat(l.toNewTopic().replicationFactor()).as(l.name()).isEqualTo((short) -1);
    });
  }
}
