package io.alpharl.bench.restart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The restart benchmark's figures: a table for people and a JSON object with stable keys for
 * tools ({@code processor_restart_seconds_runs_6}, ...). A missing figure is null, with its
 * reason under {@code missing}. Immutable.
 *
 * @param cores the machine's processors, as the JVM sees them
 */
record RestartReport(List<Measurement> cases, String stepInterval, double targetSeconds, int cores) {
  RestartReport {
    cases = List.copyOf(cases);
  }

  /** The key of the main figure of a case: seconds from the restart to the first new output. */
  static String key(Victim v, int runs) {
    return v.key() + "_restart_seconds_runs_" + runs;
  }

  static String caughtUpKey(int runs) {
    return "extrapolator_caught_up_seconds_runs_" + runs;
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, String> missing = new LinkedHashMap<>();
    for (Measurement c : cases) {
      m.put(key(c.victim(), c.runs()), round(c.seconds()));
      if (c.victim() == Victim.EXTRAPOLATOR) {
        m.put(caughtUpKey(c.runs()), round(c.caughtUpSeconds()));
      }
      if (c.missing() != null) {
        missing.put(key(c.victim(), c.runs()), c.missing());
      }
    }
    m.put("target_seconds", targetSeconds);
    m.put("load_average_1m_min", cases.stream().map(Measurement::loadAverage).filter(x -> x != null).min(Double::compare).orElse(null));
    m.put("load_average_1m_max", cases.stream().map(Measurement::loadAverage).filter(x -> x != null).max(Double::compare).orElse(null));
    m.put("step_interval", stepInterval);
    m.put("cores", cores);
    m.put("missing", missing);
    List<Map<String, Object>> detail = new ArrayList<>();
    for (Measurement c : cases) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("service", c.victim().key());
      d.put("runs", c.runs());
      d.put("restart_seconds", round(c.seconds()));
      d.put("caught_up_seconds", round(c.caughtUpSeconds()));
      d.put("killed_at_step", c.killedAtStep());
      d.put("input_at_step", c.inputAtStep());
      d.put("first_new_output", c.firstOutput());
      d.put("load_average_1m", c.loadAverage());
      detail.add(d);
    }
    m.put("cases", detail);
    return m;
  }

  void writeJson(Path file) throws IOException {
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json());
  }

  String table() {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "run-restart: the bundled recording replayed as concurrent runs, one step per %s; machine: %d cores%n",
        stepInterval, cores));
    b.append(String.format(Locale.ROOT, "%-13s %4s %10s %10s %7s %6s %6s  %s%n", "service", "runs", "restart s", "caught up", "killed", "input", "load",
        "first new output"));
    for (Measurement c : cases) {
      b.append(String.format(Locale.ROOT, "%-13s %4d %10s %10s %7d %6d %6s  %s%n", c.victim().key(), c.runs(), seconds(c.seconds()),
          c.victim() == Victim.EXTRAPOLATOR ? seconds(c.caughtUpSeconds()) : "-", c.killedAtStep(), c.inputAtStep(),
          c.loadAverage() == null ? "?" : String.format(Locale.ROOT, "%.1f", c.loadAverage()),
          c.missing() != null ? "MISSING: " + c.missing() : c.firstOutput()));
    }
    b.append(String.format(Locale.ROOT, "restart s: from the new JVM's launch to its first new committed output (target %.0f s); "
        + "steps paced %s apart; killed/input: the victim's and its input's last step (slowest run) at the kill%n", targetSeconds, stepInterval));
    for (Measurement c : cases) {
      if (c.seconds() != null && c.seconds() > targetSeconds) {
        b.append(String.format(Locale.ROOT, "MISSED: %s with %d runs in flight: %.1f s > %.0f s%n", c.victim().key(), c.runs(), c.seconds(),
            targetSeconds));
      }
    }
    return b.toString();
  }

  private static String seconds(Double s) {
    return s == null ? "-" : String.format(Locale.ROOT, "%.1f", s);
  }

  private static Double round(Double s) {
    return s == null ? null : Math.round(s * 10) / 10.0;
  }
}
