package io.alpharl.proto.topic;

/**
 * Record keys. Per-tensor and per-module topics are keyed {@code run/name} so that all records of
 * one tensor of one run land, in order, on one partition; run-level topics are keyed by run id.
 */
public final class RecordKeys {
  public static final char SEPARATOR = '/';
  /** The characters Kafka allows in a topic's name. */
  private static final java.util.regex.Pattern TOPIC_SAFE = java.util.regex.Pattern.compile("[A-Za-z0-9._-]+");

  private RecordKeys() {}

  /**
   * Checks a run id: non-empty, at most 200 bytes in UTF-8, no separator or control characters.
   * Bytes, not characters: the id names a folder and files (the extrapolator's models, the agent's
   * sum), and 200 characters of CJK are 600 bytes, past the 255 a file name may have; the
   * extrapolator then waited on such a run's every prediction for good.
   */
  public static String requireValidRunId(String runId) {
    if (runId == null || runId.isEmpty() || runId.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 200) {
      throw new IllegalArgumentException("run id must have 1 to 200 bytes in UTF-8 (200 ASCII characters), got "
          + (runId == null ? "null" : "'" + runId + "'"));
    }
    if (runId.equals(".") || runId.equals("..")) {
      // The extrapolator writes a run's models under a folder of its id.
      throw new IllegalArgumentException("run id '" + runId + "' names a folder's self or parent; use letters, digits, '.', '_' or '-'");
    }
    for (int i = 0; i < runId.length(); i++) {
      char c = runId.charAt(i);
      if (c == SEPARATOR || Character.isISOControl(c) || Character.isWhitespace(c)) {
        throw new IllegalArgumentException("run id '" + runId + "' contains '" + c + "' at " + i + "; use letters, digits, '.', '_' or '-'");
      }
    }
    return runId;
  }

  /**
   * Whether {@code id} can name a processor application: a valid run id of the characters Kafka
   * allows in a topic's name, since it prefixes the application's topics (changelogs, copies of ΔW).
   */
  public static boolean isValidApplicationId(String id) {
    return isValidRunId(id) && isTopicSafe(id);
  }

  /** Whether {@code name} is of the characters Kafka allows in a topic's name (and in a group instance id). */
  public static boolean isTopicSafe(String name) {
    return TOPIC_SAFE.matcher(name).matches();
  }

  /** Whether {@link #requireValidRunId} accepts it. */
  public static boolean isValidRunId(String runId) {
    try {
      requireValidRunId(runId);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Key of a tensor's or module's records: {@code run/name}. */
  public static String of(String runId, String name) {
    return requireValidRunId(runId) + SEPARATOR + name;
  }

  /** The run id part of a {@code run/name} key. */
  public static String runOf(String key) {
    int i = key.indexOf(SEPARATOR);
    if (i <= 0) {
      throw new IllegalArgumentException("key '" + key + "' is not of the form run/name");
    }
    return key.substring(0, i);
  }

  /**
   * The partition of a run's records among {@code partitions}: where Kafka's default partitioner
   * puts the key {@code runId}. Records keyed {@code run/module} that must meet a run's other
   * records (the processor's factors) are written to this partition.
   */
  public static int runPartition(String runId, int partitions) {
    return org.apache.kafka.common.utils.Utils.toPositive(
        org.apache.kafka.common.utils.Utils.murmur2(runId.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
  }

  /** The name part of a {@code run/name} key. */
  public static String nameOf(String key) {
    int i = key.indexOf(SEPARATOR);
    if (i <= 0) {
      throw new IllegalArgumentException("key '" + key + "' is not of the form run/name");
    }
    return key.substring(i + 1);
  }
}
