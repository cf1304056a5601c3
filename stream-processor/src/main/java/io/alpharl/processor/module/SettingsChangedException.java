package io.alpharl.processor.module;

/**
 * A module of a run in flight whose factors were computed with other factor settings than this
 * processor's: its window would mix two solvers' factors (another rank is dropped to the smaller
 * for the rest of the run), and the fits would depend on when the processor was restarted. The
 * processor stops before taking the step, so nothing is lost: started again with the run's
 * settings, it goes on where it stopped.
 */
public final class SettingsChangedException extends IllegalStateException {
  public SettingsChangedException(String runId, String module, String runs, String current) {
    super("run " + runId + " is in flight with factor settings " + runs + " (module " + module + "); this processor has " + current
        + ": start it with the run's settings until the run ends (or end a run that will not go on with `alpharl agent end --run-id "
        + runId + "`), or run another --application-id for runs with the new ones");
  }
}
