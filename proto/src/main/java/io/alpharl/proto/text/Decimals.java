package io.alpharl.proto.text;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;

/**
 * A double as every published text prints it (settings stamps that instances compare, predictor
 * specs, reasons): the shortest decimal that reads back as the same double, in
 * {@link Double#toString}'s layout. {@code Double.toString} itself changed in JDK 19: JDK 17 prints
 * some values with a digit too many (2.0E-3 as "0.0020", 1.0E23 as "9.999999999999999E22"), so two
 * instances on JDK 17 and 21 stamped the same setting differently and refused each other's factors.
 * Jackson's port of the JDK 19 algorithm prints the same on every JDK.
 */
public final class Decimals {
  private Decimals() {}

  public static String of(double x) {
    return DoubleToDecimal.toString(x);
  }

  /**
   * Starting only where no digit or point comes before, with possessive runs: {@code -?\d+\.\d+}
   * scanned a long run of digits without a point again from each of its digits, quadratic in a
   * header's length (a megabyte of digits held a stream thread). In a settings text, whose numbers
   * stand apart (after a space, '=' or ','), both find the same decimals.
   */
  private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("(?<![\\d.])-?\\d++\\.\\d++(?:E-?\\d++)?");

  /**
   * {@code text} with every decimal number in it (digits, a point, digits, an exponent perhaps)
   * printed as {@link #of} prints it: a settings text a JDK 17 build printed ("--solver-tolerance
   * 0.0020") compares equal to this build's ("0.002"), and texts made of records' own
   * {@code toString} print alike on every JDK. Integers are left as they are.
   */
  public static String canonical(String text) {
    return DECIMAL.matcher(text).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(of(Double.parseDouble(m.group()))));
  }
}
