package io.alpharl.extrapolator.backend;

import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend {@link ExtrapolationBackends.Choice#AUTO} chose, with the CPU behind it. A device
 * that fails mid-write (out of memory beside the trainer, a lost context) failed every later
 * write the same way, retried every 15 s for ever. After the first failure the CPU backend takes
 * over for the rest of the process: every backend makes the same f32 operations in the same order
 * (the backend contract), so the models written are the same bits. The failed update is made again
 * on the CPU when its input is intact; an in-place one may have been partly written, so its
 * failure goes to the caller, whose retry starts the write over. Not thread-safe, as backends are not.
 */
final class CpuAfterFailure implements ExtrapolationBackend {
  private static final Logger LOG = LoggerFactory.getLogger(CpuAfterFailure.class);

  private ExtrapolationBackend current;
  private final Supplier<ExtrapolationBackend> cpu;
  private boolean onCpu;

  CpuAfterFailure(ExtrapolationBackend first, Supplier<ExtrapolationBackend> cpu) {
    this.current = first;
    this.cpu = cpu;
  }

  @Override
  public void rankOneUpdate(float[] base, int m, int n, float[] x, float[] v, float[] out) {
    ExtrapolationBackend.checkShapes(base, m, n, x, v, out);
    update(base == out, () -> current.rankOneUpdate(base, m, n, x, v, out));
  }

  @Override
  public void lowRankUpdate(float[] base, int m, int n, float[] x, float[] v, int rank, float[] out) {
    update(base == out, () -> current.lowRankUpdate(base, m, n, x, v, rank, out));
  }

  /** Runs {@code update} on the current backend, and once more on the CPU where the device failed it and its input is intact. */
  private void update(boolean inPlace, Runnable update) {
    try {
      update.run();
    } catch (IllegalArgumentException e) {
      throw e; // the caller's shapes, refused before any work: no fault of the device
    } catch (RuntimeException | LinkageError e) {
      fallBack(e, inPlace);
      update.run();
    }
  }

  /** Hands over to the CPU; rethrows where the update cannot be made again (on the CPU already, or in place). */
  private void fallBack(Throwable e, boolean inPlace) {
    if (onCpu) {
      throw rethrown(e);
    }
    ExtrapolationBackend failed = current;
    current = cpu.get();
    onCpu = true;
    LOG.warn("extrapolation backend {} failed ({}); {} takes over for the rest of this process (the same f32 operations, so the same models){}",
        failed.name(), e.getMessage() == null ? e.toString() : e.getMessage(), current.name(),
        inPlace ? "; the update in progress is made again from the start" : "");
    try {
      failed.close();
    } catch (RuntimeException | LinkageError closing) {
      e.addSuppressed(closing);
    }
    if (inPlace) {
      throw rethrown(e);
    }
  }

  private static RuntimeException rethrown(Throwable e) {
    if (e instanceof Error error) {
      throw error;
    }
    return (RuntimeException) e;
  }

  @Override
  public String name() {
    return current.name();
  }

  @Override
  public void close() {
    current.close();
  }
}
