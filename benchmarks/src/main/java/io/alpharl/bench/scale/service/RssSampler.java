package io.alpharl.bench.scale.service;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples the anonymous resident memory ({@code RssAnon}) of the services every few hundred
 * milliseconds and keeps each one's peak. VmHWM, the kernel's own peak, also counts file pages the
 * process maps (checkpoints, RocksDB files, the broker's log segments) and so grows with page cache;
 * RssAnon is what the heap, off-heap buffers and stacks really hold, but as a sample it can miss a
 * peak shorter than the interval. Thread-safe; {@link #close} stops sampling.
 */
public final class RssSampler implements AutoCloseable {
  private final List<JavaService> services = new CopyOnWriteArrayList<>();
  private final Map<String, Long> peaks = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "rss-sampler");
    t.setDaemon(true);
    return t;
  });

  public RssSampler(long intervalMillis) {
    timer.scheduleAtFixedRate(this::sample, 0, intervalMillis, TimeUnit.MILLISECONDS);
  }

  public void watch(JavaService service) {
    services.add(service);
  }

  private void sample() {
    for (JavaService s : services) {
      if (s.isAlive()) {
        s.stats().rssAnonBytes().ifPresent(b -> peaks.merge(s.name(), b, Math::max));
      }
    }
  }

  /** The highest RssAnon seen for a service; empty when never sampled. */
  public OptionalLong peakRssAnon(String service) {
    Long v = peaks.get(service);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  @Override
  public void close() {
    sample();
    timer.shutdownNow();
  }
}
