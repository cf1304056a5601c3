package io.alpharl.cli.demo;

import io.alpharl.proto.topic.EnumLabels;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.GateState;
import java.io.PrintStream;

/** The demo's per-step table: progress, fit quality on both axes, the step axis' confidence and gate. */
final class StepTable {
  private final PrintStream out;
  private final long plannedSteps;

  StepTable(PrintStream out, long plannedSteps) {
    this.out = out;
    this.plannedSteps = plannedSteps;
  }

  /**
   * The columns after R2 are the step axis' fit, the axis the demo's policy decides on. ASCII: under
   * a C or POSIX locale Java 17 writes the terminal in ASCII, and R² came out as R?.
   */
  void header() {
    out.println();
    out.println("  step  progress            y_t   R2(step) R2(y_t) above-floor  loo-err  conf  gate (step axis)");
    out.println("  ----  ------------------  ----  -------- ------- -----------  -------  ----  ---------------");
  }

  void row(FitSummary byStep, FitSummary bySignal) {
    int width = 16;
    int done = plannedSteps > 0 ? (int) Math.min(width, width * byStep.getStep() / plannedSteps) : 0;
    // The step axis' judgement, as the policy and the closing "Gate at the last step" line read it: the signal axis' where the run
    // has progress values showed a gate that could pass while the summary below said it failed.
    FitSummary s = byStep;
    out.printf("  %4d  [%s%s]  %4s  %8s %7s %10.0f%%  %7s  %.2f  %s%n",
        byStep.getStep(), "#".repeat(done), " ".repeat(width - done),
        Double.isFinite(byStep.getProgressValue()) ? String.format("%.2f", byStep.getProgressValue()) : "-",
        r2(byStep), bySignal == null ? "-" : r2(bySignal), 100 * s.getFractionAboveFloor(),
        Double.isNaN(s.getMedianLeaveLastOutError()) ? "-" : String.format("%.3f", s.getMedianLeaveLastOutError()),
        s.getConfidence(), gate(s.getGate()));
  }

  private static String r2(FitSummary f) {
    return f.getWindowSize() < 3 ? "-" : String.format("%.3f", f.getMeanR2());
  }

  /** As the closing line, status and the page say it: the table said "closed" where they said "failing". */
  static String gate(GateState g) {
    return EnumLabels.of(g);
  }
}
