package io.alpharl.bench.scale;

import io.alpharl.bench.scale.service.ServiceLines;
import java.util.List;
import java.util.OptionalLong;

/**
 * The processor's restart after a SIGKILL mid-run: the seconds from the new JVM's launch until
 * its streams run again, which is when its state is rebuilt from the topics. The cumulative
 * update ΔW is not in a changelog: without copies of it ({@code --snapshot-every 0}) it is restored
 * by reading the run's whole delta log, so this time grows with the steps a run has made, and the
 * log bytes per second say by how much; with copies, from the newest copy and the log after it.
 *
 * @param afterStep               the last step whose fit arrived before the kill
 * @param launchToRunningSeconds  from the new JVM's launch to its "running" line; null if it never came
 * @param deltaLogBytes           the run's frames on {@code alpharl.deltas} at the kill (steps 1..afterStep on the wire)
 * @param restored                the store partitions the new processor says it restored, in its log's order
 * @param killedPeakRssBytes      VmHWM of the killed processor just before the kill (empty if unreadable): the
 *                                processor's peak over the run is the larger of its two lives'
 * @param killedWriteBytes        disk bytes the killed processor had written since its start (empty if unreadable):
 *                                the run's state total adds them to the new one's
 */
record ProcessorRestart(long afterStep, Double launchToRunningSeconds, long deltaLogBytes, List<ServiceLines.Restored> restored,
    OptionalLong killedPeakRssBytes, OptionalLong killedWriteBytes) {
  ProcessorRestart {
    restored = List.copyOf(restored);
  }

  /** Delta-log bytes the restart got through per second, launch included; null if it never ran. */
  Double logBytesPerSecond() {
    return launchToRunningSeconds == null || launchToRunningSeconds <= 0 ? null : deltaLogBytes / launchToRunningSeconds;
  }
}
