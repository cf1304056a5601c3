package io.alpharl.agent.publish;

import io.alpharl.proto.frame.DeltaFrame;
import io.alpharl.proto.frame.RunEndFrame;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;

/**
 * Where the agent's output goes: Kafka ({@link KafkaStepSink}) or a recording file
 * ({@link RecordingStepSink}). A step is all-or-nothing: its frames and its commit marker become
 * visible together at {@link #commitStep}, or not at all after {@link #abortStep}.
 */
public interface StepSink extends AutoCloseable {
  /** Publishes the run manifest (on start and when the run's status changes). */
  void manifest(RunManifest manifest);

  /** Whether this sink keeps the base model (recordings do, so a replay can write it; Kafka does not: its consumers read W_0 from its path). */
  boolean keepsBase();

  /** A base tensor W_0, as step-0 frames; called only when {@link #keepsBase}. */
  void baseFrame(DeltaFrame frame);

  /** A file of the base model directory besides its weights; called only when {@link #keepsBase}. */
  void baseFile(String name, byte[] content);

  /**
   * Publishes a finished run's manifest with the frames that end each tensor's part of it
   * ({@link RunEndFrame#ofRun}), together.
   */
  void endRun(RunEndFrame.Ending ending);

  void beginStep(long step);

  void frame(DeltaFrame frame);

  /**
   * Whether {@link #runningSum} keeps keyframes: asked before a step's keyframes are made, so that a
   * commit never states one its sink dropped.
   */
  boolean sendsKeyframes();

  /**
   * A chunk of a tensor's keyframe, its running sum S_t ({@link io.alpharl.proto.frame.TensorChunker#runningSum}),
   * committed with the step. Only for readers that would otherwise sum the deltas from the run's
   * start; called only when {@link #sendsKeyframes}.
   */
  void runningSum(DeltaFrame frame);

  void commitStep(StepCommitted commit);

  void abortStep();

  /** Rejected input, with the reason; sent on its own so it is never lost with an aborted step. */
  void deadLetter(DeadLetter letter);

  @Override
  void close();
}
