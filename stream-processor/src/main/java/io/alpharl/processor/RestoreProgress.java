package io.alpharl.processor;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs state restoration as it goes: where it starts, progress at most every few seconds per store
 * and partition, and how long it took. Restoring a large run (ΔW is rebuilt by replaying its delta
 * log) can take minutes, and a silent wait reads as a hang. Thread-safe (called from the
 * restoring threads).
 */
final class RestoreProgress implements StateRestoreListener {
  private static final Logger LOG = LoggerFactory.getLogger(RestoreProgress.class);
  private static final long REPORT_EVERY_NANOS = 5_000_000_000L;

  private record Progress(long startNanos, long start, long end, long restored, long lastReportNanos) {}

  private final Map<String, Progress> active = new ConcurrentHashMap<>();

  @Override
  public void onRestoreStart(TopicPartition partition, String store, long startOffset, long endOffset) {
    long now = System.nanoTime();
    active.put(store + "@" + partition, new Progress(now, startOffset, endOffset, 0, now));
    LOG.debug("restoring {} from {} offsets {}..{}", store, partition, startOffset, endOffset);
  }

  @Override
  public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
    String key = store + "@" + partition;
    Progress p = active.get(key);
    if (p == null) {
      return;
    }
    long now = System.nanoTime();
    Progress next = new Progress(p.startNanos(), p.start(), p.end(), p.restored() + numRestored, p.lastReportNanos());
    if (now - p.lastReportNanos() >= REPORT_EVERY_NANOS) {
      double share = p.end() > p.start() ? 100.0 * (batchEndOffset - p.start()) / (p.end() - p.start()) : 100;
      LOG.info("restoring {} from {}: {} records, offset {} of {} ({} %)", store, partition, next.restored(), batchEndOffset, p.end(),
          String.format("%.0f", share));
      next = new Progress(p.startNanos(), p.start(), p.end(), next.restored(), now);
    }
    active.put(key, next);
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
    Progress p = active.remove(store + "@" + partition);
    long ms = p == null ? -1 : (System.nanoTime() - p.startNanos()) / 1_000_000;
    if (totalRestored > 0) {
      LOG.info("restored {} from {}: {} records in {} ms", store, partition, totalRestored, ms);
    }
  }

  @Override
  public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
    active.remove(store + "@" + partition);
    LOG.info("restoring {} from {} suspended after {} records (the task moved)", store, partition, totalRestored);
  }
}
