package io.alpharl.processor.run;

import io.alpharl.proto.topic.MessageChecks;
import io.alpharl.proto.topic.RecordKeys;
import java.util.Locale;

/**
 * Keys of the run tracker's stores. Steps are written with 20 zero-padded digits so that a prefix
 * scan returns a run's (or a module's) entries in step order; run ids never contain the separator,
 * so one run's prefix never matches another's.
 */
public final class StoreKeys {
  private StoreKeys() {}

  /** {@code run/} : every entry of a run in the step-keyed stores. */
  public static String runPrefix(String runId) {
    return runId + RecordKeys.SEPARATOR;
  }

  /** {@code run/00000000000000000040} */
  public static String step(String runId, long step) {
    return runPrefix(runId) + padded(step);
  }

  /** {@code run/module#} : every window point of a module. */
  public static String modulePrefix(String runId, String module) {
    return RecordKeys.of(runId, module) + MessageChecks.MODULE_KEY_END;
  }

  /** {@code run/module#00000000000000000040} */
  public static String point(String runId, String module, long step) {
    return modulePrefix(runId, module) + padded(step);
  }

  /**
   * {@code run/module#00000000000000000040+000000001}: the {@code n}-th further record held for one
   * point before its run's manifest came; after the point's own key in key order, before the next
   * step's, and in the order of {@code n} (nine digits: more than any run holds).
   */
  public static String besideHeld(String pointKey, int n) {
    return pointKey + "+" + String.format(Locale.ROOT, "%09d", n);
  }

  /** {@code run/00000000000000000040/step} : one fit of the history. */
  public static String history(String runId, long step, String axis) {
    return step(runId, step) + RecordKeys.SEPARATOR + axis;
  }

  /** ASCII digits whatever the JVM's locale (some format %d in their own digits): the keys' order and lookups must not depend on it. */
  private static String padded(long step) {
    return String.format(Locale.ROOT, "%020d", step);
  }
}
