package io.alpharl.extrapolator.follow;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.extrapolator.metrics.ExtrapolatorMetrics;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.proto.v1.RejectReason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Fits as the extrapolator takes them: a processor publishes each step's fit once, in step order,
 * with a window ending at the step. One that comes again would count twice toward the policy's
 * passing-in-a-row; it is a dead letter with its coordinates, and the run's fits go on.
 */
class RunInputsTest {
  private static final String APP = "proc";
  private static final String RUN = "run-1";

  private final RunInputs inputs = new RunInputs(APP, ProgressAxis.PROGRESS_AXIS_STEP, Emitted.none("x"),
      new ExtrapolatorMetrics());
  private long offset;

  private void fit(long step, long... window) {
    FitSummary f = FitSummary.newBuilder().setSchemaVersion(Topics.SCHEMA_VERSION).setRunId(RUN).setStep(step)
        .setAxis(ProgressAxis.PROGRESS_AXIS_STEP).setProcessorApplication(APP).addAllWindowSteps(java.util.Arrays.stream(window).boxed().toList())
        .build();
    inputs.apply(new ConsumerRecord<>(Topics.FITS.name(), 0, offset++, RUN.getBytes(StandardCharsets.UTF_8), f.toByteArray()), null);
  }

  @Test
  void aFitOfAStepAlreadyTakenOrWithoutItsWindowIsADeadLetter() {
    fit(5, 5);
    fit(10, 5, 10);
    fit(10, 5, 10); // again
    fit(5, 5); // older
    fit(15, 5, 10); // its window does not end at it
    fit(20, 5, 10, 20);
    assertThat(inputs.waiting()).extracting(FitSummary::getStep).containsExactly(5L, 10L, 20L);

    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    inputs.publishLetters(producer, () -> true);
    List<DeadLetter> letters = producer.history().stream().map(r -> parse(r.value())).toList();
    assertThat(letters).extracting(DeadLetter::getSourceOffset).containsExactly(2L, 3L, 4L);
    assertThat(letters).extracting(DeadLetter::getReason).containsExactly(RejectReason.REJECT_REASON_DUPLICATE_STEP,
        RejectReason.REJECT_REASON_DUPLICATE_STEP, RejectReason.REJECT_REASON_MALFORMED_RECORD);
  }

  private static DeadLetter parse(byte[] value) {
    try {
      return DeadLetter.parseFrom(value);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
