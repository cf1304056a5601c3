package io.alpharl.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as people type them: {@code 500ms}, {@code 2s}, {@code 5m}, {@code 1h}, and ISO-8601
 * ({@code PT2S}), which the options took alone before and scripts may already pass.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SHORT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  @Override
  public Duration convert(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (v.startsWith("-")) {
      // Every duration an option takes is a wait or an interval: none is negative.
      throw new TypeConversionException("'" + value + "' is negative; give a duration of 0 or more, e.g. 500ms, 2s, 5m");
    }
    Matcher m = SHORT.matcher(v);
    if (m.matches()) {
      double amount = Double.parseDouble(m.group(1));
      double millis = amount * switch (m.group(2)) {
        case "ms" -> 1;
        case "s" -> 1_000;
        case "m" -> 60_000;
        default -> 3_600_000;
      };
      return Duration.ofNanos(Math.round(millis * 1e6));
    }
    Duration d;
    try {
      d = Duration.parse(value.strip());
    } catch (DateTimeParseException e) {
      throw new TypeConversionException("'" + value + "' is not a duration; write e.g. 500ms, 2s, 5m, 1h or PT2S");
    }
    if (d.isNegative()) {
      throw new TypeConversionException("'" + value + "' is negative; give a duration of 0 or more, e.g. 500ms, 2s, 5m");
    }
    return d;
  }
}
