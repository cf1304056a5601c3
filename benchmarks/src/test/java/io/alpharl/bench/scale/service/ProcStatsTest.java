package io.alpharl.bench.scale.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcStatsTest {
  @TempDir
  Path proc;

  @Test
  void readsTheFieldsInBytes() throws Exception {
    Files.writeString(proc.resolve("status"), "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t  374068 kB\nVmRSS:\t 300000 kB\nRssAnon:\t  317260 kB\n");
    Files.writeString(proc.resolve("io"), "rchar: 6976\nwchar: 10\nread_bytes: 0\nwrite_bytes: 12046336\ncancelled_write_bytes: 0\n");
    ProcStats s = new ProcStats(proc);
    assertThat(s.peakRssBytes()).hasValue(374_068L * 1024);
    assertThat(s.rssAnonBytes()).hasValue(317_260L * 1024);
    assertThat(s.writeBytes()).hasValue(12_046_336L);
  }

  @Test
  void aMissingProcessGivesNothingRatherThanAGuess() {
    ProcStats s = new ProcStats(proc.resolve("gone"));
    assertThat(s.peakRssBytes()).isEmpty();
    assertThat(s.rssAnonBytes()).isEmpty();
    assertThat(s.writeBytes()).isEmpty();
  }

  @Test
  void thisProcessOnLinux() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "no /proc here");
    ProcStats s = new ProcStats(ProcessHandle.current().pid());
    long heapTouched = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    assertThat(s.peakRssBytes().orElseThrow()).isGreaterThan(heapTouched);
    assertThat(s.rssAnonBytes().orElseThrow()).isPositive().isLessThanOrEqualTo(s.peakRssBytes().orElseThrow());
  }
}
