package io.alpharl.bench.restart;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestartReportTest {
  private static RestartReport report() {
    return new RestartReport(List.of(
        new Measurement(1, Victim.PROCESSOR, 8.04, null, 50, 55, "fit PROGRESS_AXIS_STEP of restart-1 step 55", 3.5, null),
        new Measurement(1, Victim.EXTRAPOLATOR, 7.0, 6.0, 80, 85, "score of the prediction from 80 of restart-1 step 85", 3.0, null),
        new Measurement(6, Victim.AGENT, null, null, 50, 50, null, 7.25, "no new output within PT3M")), "PT1S", 10, 2);
  }

  @Test
  void everyCaseHasItsStableKeyAndAMissingFigureItsReason() {
    Map<String, Object> json = report().json();
    assertThat(json).containsEntry("processor_restart_seconds_runs_1", 8.0)
        .containsEntry("extrapolator_restart_seconds_runs_1", 7.0)
        .containsEntry("extrapolator_caught_up_seconds_runs_1", 6.0)
        .containsEntry("agent_restart_seconds_runs_6", null)
        .containsEntry("load_average_1m_min", 3.0)
        .containsEntry("load_average_1m_max", 7.25)
        .containsEntry("target_seconds", 10.0)
        .containsEntry("cores", 2);
    assertThat(json).doesNotContainKey("processor_caught_up_seconds_runs_1");
    assertThat(json.get("missing")).isEqualTo(Map.of("agent_restart_seconds_runs_6", "no new output within PT3M"));
    assertThat((List<?>) json.get("cases")).hasSize(3);
  }

  @Test
  void theTableNamesEachCaseAndEveryMissedTarget() {
    RestartReport r = new RestartReport(List.of(new Measurement(6, Victim.PROCESSOR, 12.5, null, 50, 60, "fit", 4.0, null),
        new Measurement(6, Victim.AGENT, 3.0, null, 50, 50, "commit", 4.0, null)), "PT1S", 10, 2);
    String table = r.table();
    assertThat(table).contains("processor", "12.5", "agent", "3.0");
    assertThat(table).contains("MISSED: processor with 6 runs in flight: 12.5 s > 10 s");
    assertThat(table).doesNotContain("MISSED: agent");
    assertThat(report().table()).contains("MISSING: no new output within PT3M");
  }
}
