package io.alpharl.fit.predict;

/** A number, or the reason in words why there is none. */
record Resolved(double value, String failure) {

  static Resolved of(double value) {
    return new Resolved(value, null);
  }

  static Resolved failed(String failure) {
    return new Resolved(Double.NaN, failure);
  }

  boolean ok() {
    return failure == null;
  }
}
