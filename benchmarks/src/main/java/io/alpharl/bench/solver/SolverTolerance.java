package io.alpharl.bench.solver;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpharl.bench.Median;
import io.alpharl.bench.scale.gen.DriftSettings;
import io.alpharl.bench.scale.gen.UpdateSequence;
import io.alpharl.processor.rank1.CpuRank1Backend;
import io.alpharl.processor.rank1.Rank1Settings;
import io.alpharl.processor.rank1.TopFactors;
import io.alpharl.processor.rank1.kernel.SweepPrecision;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench/run-solver-tolerance}: what the factor solver's stopping tolerance buys and costs.
 * One matrix's updates, made as the scale benchmark makes them (noise-like early, the drift
 * adding up), are solved step after step at each tolerance, each warm-started from its own
 * previous factors as the processor does. Reported against the smallest tolerance in the same run:
 * sweeps (passes over ΔW, the processor's main cost) and seconds, and how far the singular values
 * and the top-k energy move.
 */
@Command(name = "run-solver-tolerance", mixinStandardHelpOptions = true,
    description = "Solve one matrix's synthetic RL updates at several solver tolerances and compare cost and accuracy with the tightest.")
public final class SolverTolerance implements Callable<Integer> {
  /** Each tolerance's sequence is solved this often; the median time is reported (the bits are the same each time). */
  private static final int REPETITIONS = 3;

  @Spec
  CommandSpec spec;

  @Option(names = "--rows", defaultValue = "896", description = "Rows of the matrix (896 × 4864: Qwen2.5-0.5B's MLP). Default: ${DEFAULT-VALUE}.")
  int rows;

  @Option(names = "--columns", defaultValue = "4864", description = "Default: ${DEFAULT-VALUE}.")
  int columns;

  @Option(names = "--steps", defaultValue = "12", description = "Steps of the update. Default: ${DEFAULT-VALUE}.")
  int steps;

  @Option(names = "--factors", defaultValue = "4", description = "Singular triplets per step, as the processor's --factors. Default: ${DEFAULT-VALUE}.")
  int factors;

  @Option(names = "--tolerances", defaultValue = "1e-6,1e-4,1e-3,1e-2", split = ",",
      description = "Tolerances to compare; the smallest is the reference. Default: ${DEFAULT-VALUE}.")
  List<Double> tolerances;

  @Option(names = "--sweep-caps", split = ",",
      description = "Also solve with each of these caps on sweeps per step (the solver's maxSweeps; the processor has no such option), at"
          + " the tightest tolerance: a fixed budget of passes instead of a stopping rule. Default: none.")
  List<Integer> sweepCaps = List.of();

  @Option(names = "--float-tolerances", split = ",",
      description = "Also solve with float sweeps (the processor's --sweep-precision FLOAT) at each of these tolerances, each at least "
          + SweepPrecision.FLOAT_MIN_TOLERANCE + ". Default: none.")
  List<Double> floatTolerances = List.of();

  @Option(names = "--gradient-noise", defaultValue = "" + 15.0,
      description = "Noise of the synthetic update against its drift, as run-scale's (smaller: the update stands out from noise"
          + " sooner). Default: ${DEFAULT-VALUE}.")
  double gradientNoise;

  @Option(names = "--block-size", defaultValue = "" + Rank1Settings.DEFAULT_BLOCK_SIZE,
      description = "Vectors per sweep, as the solver's block size. Default: ${DEFAULT-VALUE}.")
  int blockSize;

  @Option(names = "--krylov-dimension", defaultValue = "" + Rank1Settings.DEFAULT_KRYLOV_DIMENSION,
      description = "Basis size before a restart, as the solver's. Default: ${DEFAULT-VALUE}.")
  int krylovDimension;

  @Option(names = "--threads", defaultValue = "0", description = "Solver threads (0: one per core). Default: ${DEFAULT-VALUE}.")
  int threads;

  @Option(names = "--json", description = "Write the figures here too.")
  Path json;

  /** One solver setting: a tolerance, a sweep cap where one is set (0: the default cap), and what sweeps sum in. */
  record Solver(double tolerance, int sweepCap, SweepPrecision precision) {
    String label() {
      String tol = String.format(Locale.ROOT, "%.0e", tolerance) + (precision == SweepPrecision.FLOAT ? " f32" : "");
      return sweepCap == 0 ? tol : "cap " + sweepCap;
    }
  }

  /** One setting's results over the sequence. */
  record Row(Solver solver, double sweepsPerStep, double seconds, double worstSigmaError, double worstLostEnergy, double worstV1Sine,
      boolean allConverged) {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new SolverTolerance()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (rows < 1 || columns < 1 || steps < 1 || factors < 1 || tolerances.isEmpty() || sweepCaps.stream().anyMatch(c -> c < 1)
        || !(gradientNoise >= 0) || floatTolerances.stream().anyMatch(t -> !(SweepPrecision.FLOAT.meets(t) && t < 1))) {
      spec.commandLine().getErr().println("run-solver-tolerance: --rows, --columns, --steps, --factors, --sweep-caps must be positive,"
          + " --gradient-noise not negative, --tolerances non-empty and --float-tolerances in [" + SweepPrecision.FLOAT_MIN_TOLERANCE + ", 1)");
      return 2;
    }
    List<Solver> order = new ArrayList<>();
    tolerances.stream().sorted().forEach(t -> order.add(new Solver(t, 0, SweepPrecision.DOUBLE)));
    sweepCaps.stream().sorted().forEach(c -> order.add(new Solver(order.get(0).tolerance(), c, SweepPrecision.DOUBLE)));
    floatTolerances.stream().sorted().forEach(t -> order.add(new Solver(t, 0, SweepPrecision.FLOAT)));
    UpdateSequence sequence = new UpdateSequence(DriftSettings.defaults().withNoise(gradientNoise), rows, columns);
    List<float[]> updates = new ArrayList<>(steps);
    for (int t = 0; t < steps; t++) {
      updates.add(sequence.next());
    }
    List<Row> rowsOut = new ArrayList<>();
    try (CpuRank1Backend backend = new CpuRank1Backend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors())) {
      solve(backend, updates, order.get(0)); // JIT warm-up, not counted
      TopFactors[] reference = null;
      for (Solver tol : order) {
        TopFactors[] got = null;
        double[] seconds = new double[REPETITIONS];
        for (int r = 0; r < REPETITIONS; r++) {
          long t0 = System.nanoTime();
          got = solve(backend, updates, tol);
          seconds[r] = (System.nanoTime() - t0) / 1e9;
        }
        if (reference == null) {
          reference = got;
        }
        rowsOut.add(compare(tol, got, reference, Median.of(seconds)));
      }
      out.printf(Locale.ROOT, "run-solver-tolerance: %d x %d, %d steps, gradient noise %.1f, top-%d factors, backend %s; reference tolerance %.0e%n",
          rows, columns, steps, gradientNoise, factors, backend.name(), order.get(0).tolerance());
    }
    Row ref = rowsOut.get(0);
    out.printf(Locale.ROOT, "%10s %12s %9s %9s %9s %16s %16s %14s %10s%n", "tolerance", "sweeps/step", "vs ref", "seconds", "vs ref",
        "worst |σ/σref-1|", "worst lost energy", "worst sin∠v1", "converged");
    for (Row r : rowsOut) {
      out.printf(Locale.ROOT, "%10s %12.1f %9.2f %9.3f %9.2f %16.2e %16.2e %14.2e %10s%n", r.solver().label(), r.sweepsPerStep(),
          r.sweepsPerStep() / ref.sweepsPerStep(), r.seconds(), r.seconds() / ref.seconds(), r.worstSigmaError(), r.worstLostEnergy(),
          r.worstV1Sine(), r.allConverged() ? "all" : "not all");
    }
    out.println("lost energy: 1 - Σσ_f² / Σσref_f² over the top factors, worst step; sin∠v1: sine of the angle between v1 and the"
        + " reference's; each setting warm-started from its own previous step; a cap solves at the tightest tolerance, stopped by its"
        + " cap; seconds: median of " + REPETITIONS + " solves of the whole sequence");
    out.flush();
    if (json != null) {
      writeJson(rowsOut);
      out.println("figures written to " + json.toAbsolutePath());
    }
    return 0;
  }

  private TopFactors[] solve(CpuRank1Backend backend, List<float[]> updates, Solver solver) {
    Rank1Settings d = Rank1Settings.defaults();
    Rank1Settings settings = new Rank1Settings(solver.tolerance(), solver.sweepCap() == 0 ? d.maxSweeps() : solver.sweepCap(), krylovDimension,
        blockSize, solver.precision());
    TopFactors[] out = new TopFactors[updates.size()];
    double[][] warm = null;
    for (int t = 0; t < updates.size(); t++) {
      out[t] = backend.leading(updates.get(t), rows, columns, warm, factors, settings);
      warm = out[t].v();
    }
    return out;
  }

  private static Row compare(Solver solver, TopFactors[] got, TopFactors[] reference, double seconds) {
    long sweeps = 0;
    double worstSigma = 0;
    double worstSine = 0;
    double worstEnergy = 0;
    boolean converged = true;
    for (int t = 0; t < got.length; t++) {
      sweeps += got[t].sweeps();
      converged &= got[t].converged();
      double energy = 0;
      double energyRef = 0;
      for (int f = 0; f < Math.min(got[t].rank(), reference[t].rank()); f++) {
        worstSigma = Math.max(worstSigma, Math.abs(got[t].sigmas()[f] / reference[t].sigmas()[f] - 1));
        energy += got[t].sigmas()[f] * got[t].sigmas()[f];
        energyRef += reference[t].sigmas()[f] * reference[t].sigmas()[f];
      }
      worstEnergy = Math.max(worstEnergy, 1 - energy / energyRef);
      double cosine = 0;
      for (int i = 0; i < got[t].v()[0].length; i++) {
        cosine += got[t].v()[0][i] * reference[t].v()[0][i];
      }
      worstSine = Math.max(worstSine, Math.sqrt(Math.max(0, 1 - cosine * cosine)));
    }
    return new Row(solver, sweeps / (double) got.length, seconds, worstSigma, worstEnergy, worstSine, converged);
  }

  private void writeJson(List<Row> rowsOut) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    root.put("schema", "alpharl-run-solver-tolerance/1");
    root.put("rows", rows).put("columns", columns).put("steps", steps).put("factors", factors).put("gradient_noise", gradientNoise);
    ArrayNode a = root.putArray("tolerances");
    for (Row r : rowsOut) {
      a.addObject().put("tolerance", r.solver().tolerance()).put("sweep_cap", r.solver().sweepCap())
          .put("sweep_precision", r.solver().precision().name().toLowerCase(Locale.ROOT)).put("sweeps_per_step", r.sweepsPerStep())
          .put("sweeps_vs_reference", r.sweepsPerStep() / rowsOut.get(0).sweepsPerStep()).put("seconds", r.seconds())
          .put("seconds_vs_reference", r.seconds() / rowsOut.get(0).seconds()).put("worst_sigma_error", r.worstSigmaError())
          .put("worst_lost_energy", r.worstLostEnergy()).put("worst_v1_sine", r.worstV1Sine()).put("all_converged", r.allConverged());
    }
    mapper.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), root);
  }
}
