package io.alpharl.bench;

import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;

/** Medians of measured figures; missing (null) values are left out. */
public final class Median {
  private Median() {}

  /** The median of the non-null values, or null when there are none. */
  public static Double of(Collection<? extends Number> values) {
    double[] v = values.stream().filter(Objects::nonNull).mapToDouble(Number::doubleValue).sorted().toArray();
    if (v.length == 0) {
      return null;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  public static Double of(double[] values) {
    return of(Arrays.stream(values).boxed().toList());
  }
}
