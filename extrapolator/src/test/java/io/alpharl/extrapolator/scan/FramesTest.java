package io.alpharl.extrapolator.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** Where a tensor's frames are, kept in arrays (twelve bytes a frame read again), read back as added. */
class FramesTest {
  @Test
  void framesReadBackAsAddedAcrossPartitionsAndGrowth() {
    LoggedDeltas.Frames f = new LoggedDeltas.Frames();
    TopicPartition p0 = new TopicPartition("alpharl.deltas", 0);
    List<String> want = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      TopicPartition tp = i < 60 ? new TopicPartition("alpharl.deltas", 0) : new TopicPartition("alpharl.deltas", 3); // equal, not the same
      byte[] value = i % 7 == 0 ? new byte[] {(byte) i} : null;
      f.add(tp, 1000L + 2 * i, value);
      if (value == null) {
        want.add(tp.partition() + "@" + (1000L + 2 * i));
      }
    }
    assertThat(f.size()).isEqualTo(100);
    assertThat(f.partition(59)).isEqualTo(p0);
    assertThat(f.partition(60).partition()).isEqualTo(3);
    assertThat(f.offset(99)).isEqualTo(1198L);
    assertThat(f.kept(14)).containsExactly(14);
    assertThat(f.kept(15)).isNull();
    assertThat(f.offsets(10, 13)).containsExactly(1020L, 1022L, 1024L);
    List<String> again = new ArrayList<>();
    f.forEachToReadAgain((tp, offset) -> again.add(tp.partition() + "@" + offset));
    assertThat(again).containsExactlyElementsOf(want);
    assertThatThrownBy(() -> f.offset(100)).isInstanceOf(IndexOutOfBoundsException.class);
  }
}
