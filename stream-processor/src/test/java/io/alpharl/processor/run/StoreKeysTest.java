package io.alpharl.processor.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class StoreKeysTest {
  /** Persian formats %d in its own digits: keys restored on an instance with another locale would miss and sort otherwise. */
  @Test
  void stepsArePaddedInAsciiDigitsWhateverTheLocale() {
    Locale was = Locale.getDefault();
    try {
      Locale.setDefault(Locale.forLanguageTag("fa-IR"));
      assertThat(StoreKeys.point("run", "m", 40)).isEqualTo("run/m#00000000000000000040");
    } finally {
      Locale.setDefault(was);
    }
  }
}
