package io.alpharl.bench.scale;

/**
 * The {@code -Xmx} of each service JVM, as {@code -Xmx} takes it. Stated in every report, since
 * peak memory and failures depend on them.
 */
public record Heaps(String broker, String processor, String extrapolator, String agent) {
  public Heaps {
    for (String h : new String[] {broker, processor, extrapolator, agent}) {
      if (h == null || !h.matches("\\d+[kKmMgG]?")) {
        throw new IllegalArgumentException("heap size '" + h + "' is not what -Xmx takes (e.g. 512m, 1g)");
      }
    }
  }

  /**
   * The agent gets 1 GiB: the requirement is that it streams a 0.5B model's run in that. The
   * others get what the development machine (2 cores, 24 GiB shared) can spare.
   */
  public static Heaps defaults() {
    return new Heaps("1g", "2g", "2g", "1g");
  }
}
