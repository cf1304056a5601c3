package io.alpharl.bench.scale.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFileTest {
  @TempDir
  Path dir;

  @Test
  void returnsEachCompleteLineOnceAndHoldsBackAPartialOne() throws Exception {
    Path f = dir.resolve("x.log");
    LogFile log = new LogFile(f);
    assertThat(log.newLines()).as("no file yet").isEmpty();
    Files.writeString(f, "one\ntw");
    assertThat(log.newLines()).containsExactly("one");
    Files.writeString(f, "o\nthree\n", StandardOpenOption.APPEND);
    assertThat(log.newLines()).containsExactly("two", "three");
    assertThat(log.newLines()).isEmpty();
    assertThat(log.tail(2)).isEqualTo("two\nthree");
  }
}
