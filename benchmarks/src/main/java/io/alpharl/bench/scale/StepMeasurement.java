package io.alpharl.bench.scale;

/**
 * What one step of the closed loop measured. A null field is a figure that could not be
 * measured; {@code note} says why.
 *
 * @param unchangedShare      share of the checkpoint's stored values bitwise equal to the previous one's
 * @param generateSeconds     writing the checkpoint (not part of any ratio; nothing else runs meanwhile)
 * @param frames              delta frames of the step read back from {@code alpharl.deltas}
 * @param wireBytes           their key and value bytes
 * @param keyframeBytes       key and value bytes of the step's keyframes on {@code alpharl.sums}, sent in the step's transaction
 * @param agentSeconds        the agent's own timing of the step (its log line; millisecond resolution)
 * @param rawProduceSeconds   a plain transactional producer sending the same records, frames and keyframes
 * @param commitToFitSeconds  the agent's commit stamp to the arrival of the step's fit summary here
 * @param rawConsumeSeconds   a plain read-committed consumer reading the step's frames
 * @param stateTopicBytes     growth of the processor's changelog and repartition topics during the step
 * @param stateDiskBytes      bytes the processor process wrote to disk during the step
 * @param stateLowerBound     a state topic shrank during the step (segment deleted or compacted), so the growth is a lower bound
 */
public record StepMeasurement(long step, double unchangedShare, long checkpointBytes, double generateSeconds, Integer frames, Long wireBytes,
    Long keyframeBytes, Double agentSeconds, Double rawProduceSeconds, Double commitToFitSeconds, Double rawConsumeSeconds, Long stateTopicBytes,
    Long stateDiskBytes, boolean stateLowerBound, String note) {

  public Double agentVsRawProduce() {
    return ratio(agentSeconds, rawProduceSeconds);
  }

  public Double processorVsRawConsume() {
    return ratio(commitToFitSeconds, rawConsumeSeconds);
  }

  public Double stateBytesPerWireByte() {
    if (stateTopicBytes == null || stateDiskBytes == null || wireBytes == null || wireBytes == 0) {
      return null;
    }
    return (double) (stateTopicBytes + stateDiskBytes) / wireBytes;
  }

  private static Double ratio(Double a, Double b) {
    return a == null || b == null || b <= 0 ? null : a / b;
  }
}
