package io.alpharl.processor;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;

class StreamsStopWatchTest {
  @Test
  void rebalancesAndReplacedThreadsAreNoStop() {
    StreamsStopWatch watch = new StreamsStopWatch();
    watch.onChange(State.REBALANCING, State.CREATED);
    watch.onChange(State.RUNNING, State.REBALANCING);
    watch.onChange(State.REBALANCING, State.RUNNING);
    watch.onChange(State.RUNNING, State.REBALANCING);
    assertThat(watch.stoppedOnTheirOwn()).isNotDone();
  }

  @Test
  void anErrorIsAStopOnItsOwnWithTheFirstStateSeen() {
    StreamsStopWatch watch = new StreamsStopWatch();
    watch.onChange(State.PENDING_ERROR, State.RUNNING);
    watch.onChange(State.ERROR, State.PENDING_ERROR);
    assertThat(watch.stoppedOnTheirOwn()).isCompletedWithValue(State.PENDING_ERROR);
  }

  @Test
  void anErrorDuringOurOwnCloseStillCounts() {
    StreamsStopWatch watch = new StreamsStopWatch();
    watch.closing();
    watch.onChange(State.PENDING_ERROR, State.RUNNING);
    assertThat(watch.stoppedOnTheirOwn()).isCompletedWithValue(State.PENDING_ERROR);
  }

  @Test
  void aShutdownIsAStopOnItsOwnOnlyWhenNobodyAskedForIt() {
    StreamsStopWatch unasked = new StreamsStopWatch();
    unasked.onChange(State.PENDING_SHUTDOWN, State.RUNNING);
    assertThat(unasked.stoppedOnTheirOwn()).isCompletedWithValue(State.PENDING_SHUTDOWN);

    StreamsStopWatch asked = new StreamsStopWatch();
    asked.closing();
    asked.onChange(State.PENDING_SHUTDOWN, State.RUNNING);
    asked.onChange(State.NOT_RUNNING, State.PENDING_SHUTDOWN);
    assertThat(asked.stoppedOnTheirOwn()).isNotDone();
  }
}
