package io.alpharl.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class DurationConverterTest {
  private final DurationConverter converter = new DurationConverter();

  @Test
  void shortFormsAndIsoAgree() {
    assertThat(converter.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(converter.convert("2s")).isEqualTo(Duration.ofSeconds(2)).isEqualTo(converter.convert("PT2S"));
    assertThat(converter.convert("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(converter.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(converter.convert(" 1H ")).isEqualTo(Duration.ofHours(1));
    assertThat(converter.convert("pt30s")).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void anythingElseIsRefusedWithTheFormsThatWork() {
    assertThatThrownBy(() -> converter.convert("2 seconds")).isInstanceOf(TypeConversionException.class).hasMessageContaining("500ms, 2s");
    assertThatThrownBy(() -> converter.convert("-2s")).isInstanceOf(TypeConversionException.class).hasMessageContaining("'-2s' is negative");
    assertThatThrownBy(() -> converter.convert("-PT2S")).isInstanceOf(TypeConversionException.class).hasMessageContaining("is negative");
    // The sign inside the ISO form passed, and a watch slept a negative time: a stack trace.
    assertThatThrownBy(() -> converter.convert("PT-5S")).isInstanceOf(TypeConversionException.class).hasMessageContaining("'PT-5S' is negative");
    assertThatThrownBy(() -> converter.convert("")).isInstanceOf(TypeConversionException.class);
  }
}
