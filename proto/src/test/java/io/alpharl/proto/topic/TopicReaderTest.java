package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class TopicReaderTest {

  @Test
  void partitionsAreListedByNumberWhateverOrderTheMetadataHasThem() {
    Node broker = new Node(1, "localhost", 9092);
    // The order the embedded broker gave after a Kafka Streams member restarted (RunScaleTinyIT, 3 partitions).
    List<PartitionInfo> metadata = List.of(info(1, broker), info(2, broker), info(0, broker));
    assertThat(TopicReader.inPartitionOrder("alpharl.rank1", metadata)).containsExactly(new TopicPartition("alpharl.rank1", 0),
        new TopicPartition("alpharl.rank1", 1), new TopicPartition("alpharl.rank1", 2));
  }

  private static PartitionInfo info(int partition, Node broker) {
    return new PartitionInfo("alpharl.rank1", partition, broker, new Node[] {broker}, new Node[] {broker});
  }
}
