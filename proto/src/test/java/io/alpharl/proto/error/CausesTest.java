package io.alpharl.proto.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class CausesTest {
  @Test
  void findsTheInnermostKnownCauseThroughWrappers() {
    IOException io = new IOException("disk gone");
    IllegalStateException wrapped = new IllegalStateException("step failed", new UncheckedIOException("read failed", io));
    assertThat(Causes.find(wrapped, IOException.class)).containsSame(io);
    assertThat(Causes.find(wrapped, UncheckedIOException.class)).get().extracting(Throwable::getCause).isSameAs(io);
    assertThat(Causes.find(wrapped, IllegalStateException.class)).containsSame(wrapped);
    assertThat(Causes.find(wrapped, ArithmeticException.class)).isEmpty();
    assertThat(Causes.root(wrapped)).isSameAs(io);
    assertThat(Causes.root(io)).isSameAs(io);
  }

  @Test
  void aLoopingChainEnds() {
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b);
    assertThat(Causes.find(a, IOException.class)).isEmpty();
    assertThat(Causes.root(a)).isIn(a, b);
  }
}
