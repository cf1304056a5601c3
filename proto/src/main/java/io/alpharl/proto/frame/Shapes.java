package io.alpharl.proto.frame;

import java.util.List;

/** Shape arithmetic shared by the chunker, the decoder and the checks. */
public final class Shapes {
  private Shapes() {}

  /**
   * Number of elements of a row-major shape; an empty shape is a scalar (1 element).
   *
   * @param where names the tensor and chunk in the error message
   * @throws FrameException {@link FrameError#SHAPE_MISMATCH} on a negative dimension or overflow
   */
  public static long elementCount(List<Long> shape, String where) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": negative dimension in shape " + shape);
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": shape " + shape + " has more than 2^63 elements");
      }
    }
    return n;
  }

  /** Elements per row: the product of every dimension but the first; 1 for 0-D and 1-D shapes. */
  public static long rowLength(List<Long> shape) {
    long n = 1;
    for (int i = 1; i < shape.size(); i++) {
      n *= shape.get(i);
    }
    return n;
  }
}
