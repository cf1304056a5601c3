package io.alpharl.processor.view;

import io.alpharl.fit.NoiseConcentration;
import io.alpharl.processor.state.RunState;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.TensorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One module's latest state, as the page's module table and {@code status} show it.
 *
 * @param concentrationVsNoise σ1/‖ΔW‖_F over that of pure noise of the module's shape
 *                             ({@link NoiseConcentration}): near 1, the leading factors are noise
 */
public record ModuleView(String module, long step, double sigma1, double frobeniusNorm, double concentration, double concentrationVsNoise,
    double directionStability, int signFlips, int sweeps, int windowPoints) {

  /**
   * Every modelled module of the run that has factors in its window, in the manifest's order.
   *
   * @param window a module's factors at the window's steps, oldest first; read one module at a time
   */
  public static List<ModuleView> ofRun(RunState run, Function<String, List<Rank1Update>> window) {
    List<ModuleView> out = new ArrayList<>();
    for (String module : modelled(run)) {
      List<Rank1Update> points = window.apply(module);
      if (!points.isEmpty()) {
        out.add(of(module, points));
      }
    }
    return out;
  }

  /** @param points the module's factors at the window's steps, oldest first; not empty */
  public static ModuleView of(String module, List<Rank1Update> points) {
    Rank1Update newest = points.get(points.size() - 1);
    int flips = (int) points.stream().filter(Rank1Update::getSignFlipped).count();
    double vsNoise = newest.getUCount() == 0 || newest.getVCount() == 0 ? 0
        : NoiseConcentration.ratio(newest.getConcentration(), newest.getUCount(), newest.getVCount());
    return new ModuleView(module, newest.getStep(), newest.getSigma1(), newest.getFrobeniusNorm(), newest.getConcentration(), vsNoise,
        newest.getDirectionStability(), flips, newest.getSweeps(), points.size());
  }

  /** The run's modelled modules, in the manifest's order. */
  public static List<String> modelled(RunState run) {
    return run.getManifest().getTensorsList().stream().filter(TensorInfo::getModelled).map(TensorInfo::getName).toList();
  }
}
