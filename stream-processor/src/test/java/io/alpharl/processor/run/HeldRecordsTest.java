package io.alpharl.processor.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.processor.state.ParkedRecord;
import io.alpharl.proto.serde.ProtobufSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** The held records' index, rebuilt from the store as a restarted task finds it. */
class HeldRecordsTest {
  /**
   * Factors held before their manifest under a module named {@code ~q/x}: their key began as a
   * queued record's, the rebuild parsed "x#…" as a sequence number and threw from the task's init,
   * and the store, restored from its changelog at every start, kept the processor from ever
   * starting again. Only {@code run/~q/} and 20 digits is a queued record's key.
   */
  @Test
  void aModuleNamedLikeTheQueueIsNotTakenForAQueuedRecordOnRebuild() {
    KeyValueStore<String, ParkedRecord> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("held"), Serdes.String(),
        new ProtobufSerde<>(ParkedRecord.parser(), ParkedRecord.class)).withLoggingDisabled().build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    HeldRecords held = new HeldRecords(store);
    held.hold("run/~q/x#00000000000000000001", ParkedRecord.newBuilder().setTimestampMs(5).build());
    held.rebuild(run -> true);
    assertThat(held.draining("run")).isTrue();
    held.queue("run", ParkedRecord.newBuilder().setTimestampMs(6).build());

    HeldRecords restarted = new HeldRecords(store);
    restarted.rebuild(run -> true);
    assertThat(restarted.take("run", 1)).extracting(ParkedRecord::getTimestampMs).as("the held factors, then the queued record").containsExactly(5L, 6L);
    store.close();
  }
}
