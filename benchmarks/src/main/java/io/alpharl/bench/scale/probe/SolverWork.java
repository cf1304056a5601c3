package io.alpharl.bench.scale.probe;

import io.alpharl.fit.NoiseConcentration;

/**
 * What the processor's factor solver met and did for one step, over all modelled modules, each
 * weighted by its size m·n (the large matrices are where the time goes).
 *
 * @param passes               Σ sweeps·m·n / Σ m·n: reads of the step's whole modelled ΔW
 * @param concentration        size-weighted mean of σ1/‖ΔW_t‖_F
 * @param concentrationVsNoise size-weighted mean of σ1/‖ΔW_t‖_F over {@link NoiseConcentration}
 *                             of the module's shape: about 1 where ΔW looks like pure noise, where the
 *                             leading factors sit on the edge of a noise bulk and the solver needs the
 *                             most sweeps; 2 on the bundled real run's layers
 */
public record SolverWork(double passes, double concentration, double concentrationVsNoise) {

  /** Adds modules' figures up; one instance per step, fed from one thread at a time. */
  static final class Sum {
    private double sweepElements;
    private double elements;
    private double concentration;
    private double vsNoise;
    private int modules;

    synchronized void add(int sweeps, long m, long n, double moduleConcentration) {
      double e = (double) m * n;
      sweepElements += sweeps * e;
      elements += e;
      concentration += moduleConcentration * e;
      vsNoise += NoiseConcentration.ratio(moduleConcentration, m, n) * e;
      modules++;
    }

    synchronized int modules() {
      return modules;
    }

    synchronized SolverWork work() {
      return new SolverWork(sweepElements / elements, concentration / elements, vsNoise / elements);
    }
  }
}
