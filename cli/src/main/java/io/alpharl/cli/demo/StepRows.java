package io.alpharl.cli.demo;

import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ProgressAxis;
import java.util.ArrayList;
import java.util.List;

/**
 * Pairs a step's two fit summaries into the table's row. The processor publishes a step's summary
 * on the step axis, then, only where every window point has a progress value, the one on the signal
 * axis, in one transaction: a row that waited for both was never printed for a run that logs no
 * progress value (or misses one in the window), and the demo waited out its ten minutes in silence.
 * A step's row goes out with its signal summary, or without it once a later step's summary comes or
 * a poll finds nothing more.
 */
final class StepRows {
  /** A row: the step-axis summary and the signal-axis one, null where the step has none. */
  record Row(FitSummary byStep, FitSummary bySignal) {}

  private FitSummary waiting;

  /** The rows {@code f} completes, in step order. */
  List<Row> offer(FitSummary f) {
    List<Row> rows = new ArrayList<>(1);
    if (f.getAxis() == ProgressAxis.PROGRESS_AXIS_STEP) {
      rows.addAll(idle());
      waiting = f;
    } else if (waiting != null && waiting.getStep() == f.getStep()) {
      rows.add(new Row(waiting, f));
      waiting = null;
    }
    return rows;
  }

  /** The row of a step whose signal summary did not come with it: a poll found nothing after it. */
  List<Row> idle() {
    if (waiting == null) {
      return List.of();
    }
    Row row = new Row(waiting, null);
    waiting = null;
    return List.of(row);
  }
}
