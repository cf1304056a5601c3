package io.alpharl.proto.topic;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.alpharl.proto.v1.RejectReason;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RefusalLogTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong();
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private RefusalLog refusals;

  @BeforeEach
  void logger() {
    Logger log = (Logger) LoggerFactory.getLogger("refusal-log-test-" + System.nanoTime());
    lines.start();
    log.addAppender(lines);
    refusals = new RefusalLog(log, now::get);
  }

  private List<String> messages() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aFewRefusalsAreLoggedOneLineEach() {
    for (int i = 0; i < 3; i++) {
      refusals.refused(RejectReason.REJECT_REASON_MISSING_STEP, "refused frame " + i);
    }
    refusals.flush();
    assertThat(messages()).containsExactly("refused frame 0", "refused frame 1", "refused frame 2");
  }

  @Test
  void aFloodIsCountedInOneLinePerIntervalAndNothingGoesUncounted() {
    for (int i = 0; i < 1000; i++) {
      now.set(i * SECOND / 10); // ten a second for 100 s
      refusals.refused(RejectReason.REJECT_REASON_MISSING_STEP, "refused frame " + i);
    }
    refusals.flush();
    List<String> m = messages();
    assertThat(m.subList(0, RefusalLog.WHOLE)).allMatch(s -> s.startsWith("refused frame "));
    assertThat(m.get(RefusalLog.WHOLE)).contains("further ones for this reason are counted in one line every 30 s");
    List<String> summaries = m.subList(RefusalLog.WHOLE + 1, m.size());
    // The whole lines end at 0.9 s: summaries at 30.9, 60.9 and 90.9 s, and the flush's for the rest.
    assertThat(summaries).hasSize(4);
    assertThat(summaries.get(0)).startsWith("REJECT_REASON_MISSING_STEP: 300 more records refused in the last 30 s (310 in all); the latest:"
        + " refused frame 309");
    long counted = summaries.stream().mapToLong(s -> Long.parseLong(s.split(": ")[1].split(" ")[0])).sum();
    assertThat(counted + RefusalLog.WHOLE).isEqualTo(1000);
    assertThat(summaries.get(3)).contains("(1000 in all); the latest: refused frame 999");
  }

  @Test
  void eachReasonHasItsOwnAllowance() {
    for (int i = 0; i < RefusalLog.WHOLE + 5; i++) {
      refusals.refused(RejectReason.REJECT_REASON_MISSING_STEP, "missing " + i);
    }
    refusals.refused(RejectReason.REJECT_REASON_CORRUPT_FRAME, "corrupt 0");
    assertThat(messages()).contains("corrupt 0").doesNotContain("missing " + RefusalLog.WHOLE);
  }
}
