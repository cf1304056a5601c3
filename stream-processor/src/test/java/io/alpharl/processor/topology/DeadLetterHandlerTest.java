package io.alpharl.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.proto.frame.ChunkingConfig;
import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.junit.jupiter.api.Test;

class DeadLetterHandlerTest {

  @Test
  void aCorruptFrameBecomesADeadLetterWithItsReasonCoordinatesAndBytes() throws Exception {
    List<DeltaFrame> frames = new ArrayList<>();
    try (RootAllocator allocator = new RootAllocator(); TensorChunker chunker = new TensorChunker(allocator, ChunkingConfig.defaults())) {
      chunker.split(new TensorRef("r", 1, "w", List.of(4L, 4L)), FloatBuffer.wrap(new float[16]), frames::add);
    }
    byte[] corrupt = frames.get(0).bytes().clone();
    corrupt[corrupt.length - 1] ^= 1;
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(Topics.DELTAS.name(), 2, 41L, "r/w".getBytes(), corrupt);
    SerializationException error;
    try {
      Topics.DELTAS.valueSerde().deserializer().deserialize(Topics.DELTAS.name(), corrupt);
      throw new AssertionError("corrupt frame accepted");
    } catch (SerializationException e) {
      error = e;
    }

    DeserializationExceptionHandler.Response response = new DeadLetterHandler().handleError(null, record, error);

    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    ProducerRecord<byte[], byte[]> out = response.deadLetterQueueRecords().get(0);
    assertThat(out.topic()).isEqualTo(Topics.DLQ.name());
    assertThat(out.key()).isEqualTo("r/w".getBytes());
    DeadLetter letter = DeadLetter.parseFrom(out.value());
    assertThat(letter.getReason()).isEqualTo(RejectReason.REJECT_REASON_CHECKSUM_MISMATCH);
    assertThat(letter.getDetail()).contains("payload CRC32C");
    assertThat(letter.getSourcePartition()).isEqualTo(2);
    assertThat(letter.getSourceOffset()).isEqualTo(41L);
    assertThat(letter.getOriginalValue().toByteArray()).isEqualTo(corrupt);

    // Keyless junk: keyed empty, so its letter lands on one partition whatever the timing (the producer spreads null keys).
    ConsumerRecord<byte[], byte[]> keyless = new ConsumerRecord<>(Topics.DELTAS.name(), 0, 7L, null, corrupt);
    assertThat(new DeadLetterHandler().handleError(null, keyless, error).deadLetterQueueRecords().get(0).key()).isEmpty();

    // Not a frame: a manifest that does not parse is malformed, as the extrapolator and the agent letter it.
    byte[] notAManifest = "not a manifest".getBytes();
    SerializationException unparsed;
    try {
      Topics.RUNS.valueSerde().deserializer().deserialize(Topics.RUNS.name(), notAManifest);
      throw new AssertionError("junk parsed");
    } catch (SerializationException e) {
      unparsed = e;
    }
    ConsumerRecord<byte[], byte[]> junk = new ConsumerRecord<>(Topics.RUNS.name(), 0, 3L, "r".getBytes(), notAManifest);
    assertThat(DeadLetter.parseFrom(new DeadLetterHandler().handleError(null, junk, unparsed).deadLetterQueueRecords().get(0).value()).getReason())
        .isEqualTo(RejectReason.REJECT_REASON_MALFORMED_RECORD);
  }
}
