package io.alpharl.processor;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Tells when Kafka Streams stops without being asked to: it reaches ERROR (a fatal error, or
 * every stream thread gone), or shuts down before {@link #closing} was called. A thread failure
 * alone does not count: the processor's handler replaces the thread, which resumes from the last
 * commit. Without this the processor's command would wait forever on a client that no longer
 * processes, and a supervisor would see a live process where a restart was due.
 *
 * <p>Thread-safe: Kafka Streams calls {@link #onChange} from its own threads.
 */
final class StreamsStopWatch implements KafkaStreams.StateListener {
  private final CompletableFuture<KafkaStreams.State> stopped = new CompletableFuture<>();
  private volatile boolean closing;

  @Override
  public void onChange(KafkaStreams.State newState, KafkaStreams.State oldState) {
    boolean error = newState == KafkaStreams.State.PENDING_ERROR || newState == KafkaStreams.State.ERROR;
    boolean unasked = !closing && (newState == KafkaStreams.State.PENDING_SHUTDOWN || newState == KafkaStreams.State.NOT_RUNNING);
    if (error || unasked) {
      stopped.complete(newState);
    }
  }

  /** Called before this process closes the streams itself: what follows is no failure. */
  void closing() {
    closing = true;
  }

  /** Completes with the state in which the streams stopped on their own; never, if they did not. */
  CompletableFuture<KafkaStreams.State> stoppedOnTheirOwn() {
    return stopped;
  }
}
