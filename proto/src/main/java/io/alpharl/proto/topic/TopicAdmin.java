package io.alpharl.proto.topic;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the system's topics where they are missing; existing topics are left as they are. On a
 * cluster with ACLs a service's principal may not even see topics it does not use: those are left
 * to an administrator (and to the service that uses them), not reported as missing.
 */
public final class TopicAdmin {
  private TopicAdmin() {}

  private static final Duration LISTED_WITHIN = Duration.ofSeconds(30);

  /** The ids of the topics of {@code names} the cluster describes; none for a topic missing or hidden, or when it does not answer. */
  public static Map<String, org.apache.kafka.common.Uuid> ids(KafkaClients kafka, List<String> names, int timeoutMs) {
    Map<String, org.apache.kafka.common.Uuid> out = new java.util.HashMap<>();
    described(kafka, names, timeoutMs, (name, d) -> out.put(name, d.topicId()), (name, failure) -> {});
    return out;
  }

  /**
   * The topics of {@code names} that the cluster says do not exist, or whose id is no longer the
   * one in {@code started} (deleted, then made anew: by an administrator, or by a broker that makes
   * topics a producer asks for, which Kafka does by default). Such a topic is there by name but holds
   * none of the run; a check by name alone went on writing into it. A topic without a starting id
   * is checked by name only (an id first seen now may already be the new one). Empty when the cluster
   * does not answer within {@code timeoutMs} or may not be asked.
   */
  public static List<String> goneSince(KafkaClients kafka, Map<String, org.apache.kafka.common.Uuid> started, List<String> names, int timeoutMs) {
    List<String> gone = new ArrayList<>();
    described(kafka, names, timeoutMs, (name, d) -> {
      if (started.containsKey(name) && !started.get(name).equals(d.topicId())) {
        gone.add(name);
      }
    }, (name, failure) -> {
      if (failure instanceof UnknownTopicOrPartitionException) {
        gone.add(name);
      }
    });
    return gone;
  }

  /** Describes each topic of {@code names} to one of the two callbacks; neither is called when the cluster does not answer. */
  private static void described(KafkaClients kafka, List<String> names, int timeoutMs, java.util.function.BiConsumer<String, TopicDescription> found,
      java.util.function.BiConsumer<String, Throwable> failed) {
    Map<String, Object> conf = kafka.config();
    conf.put("default.api.timeout.ms", timeoutMs);
    conf.put("request.timeout.ms", timeoutMs);
    try (Admin admin = Admin.create(conf)) {
      // Both gathered before either callback: a cluster that stops answering part way tells nothing, not half.
      Map<String, TopicDescription> ok = new java.util.LinkedHashMap<>();
      Map<String, Throwable> failures = describeEach(admin, names, ok::put);
      ok.forEach(found);
      failures.forEach(failed);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (KafkaException e) {
      // no answer: nothing known
    }
  }

  public static void ensure(Admin admin, List<TopicLayout> layouts) {
    try {
      Map<String, Throwable> failures = describeFailures(admin, layouts.stream().map(TopicLayout::name).toList());
      List<NewTopic> missing = new ArrayList<>();
      for (TopicLayout l : layouts) {
        Throwable cause = failures.get(l.name());
        if (cause instanceof UnknownTopicOrPartitionException) {
          missing.add(l.toNewTopic());
        } else if (cause != null && !(cause instanceof TopicAuthorizationException)) {
          throw cannotCreate(cause, layouts);
        }
      }
      if (!missing.isEmpty()) {
        create(admin, missing);
        awaitListed(admin, missing.stream().map(NewTopic::name).toList());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw cannotCreate(e.getCause(), layouts);
    }
  }

  /**
   * Creates the topics; one that another client created since it was found missing is as good as
   * made here. Services started together (two processor instances sharing a run, a demo beside a
   * broker command) race to create the same topics, and the slower one used to fail its start on
   * "topic already exists". Its settings are then the other creator's: {@link
   * #settingsAtOdds} still names any that would delete records.
   */
  private static void create(Admin admin, List<NewTopic> topics) throws InterruptedException, ExecutionException {
    Map<String, KafkaFuture<Void>> created = admin.createTopics(topics).values();
    for (NewTopic t : topics) {
      try {
        created.get(t.name()).get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw e;
        }
      }
    }
  }

  /**
   * The controller acknowledges a creation before the brokers' metadata caches list the topic, and
   * a reader that asks in between is told it does not exist (a restarted agent refused to resume
   * with "topic alpharl.deltas does not exist" on topics just created). Bounded: past the limit
   * the reader's own error says what is wrong.
   */
  private static void awaitListed(Admin admin, List<String> names) throws InterruptedException {
    long deadline = System.nanoTime() + LISTED_WITHIN.toNanos();
    while (describeFailures(admin, names).values().stream().anyMatch(UnknownTopicOrPartitionException.class::isInstance)
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  /**
   * Settings of existing topics at odds with their layout. Records the layout means to keep: a
   * retention limit (time or size) or compaction on a topic laid out to keep everything. An
   * administrator's topic may have either (a cluster's default retention is a week); a run that
   * outlives it loses its first deltas, and ΔW rebuilt from the log after any restart cannot be
   * fitted (its later deltas are refused as following missing steps). And the keyframes' topic
   * without compaction, which then keeps every keyframe sent until its retention deletes it, where
   * compaction keeps each tensor's newest: about a model's f32 copy against one a step for every 32
   * steps of retention. And the factors' topic taking records smaller than a large model's factors.
   * And records stamped by the broker's clock rather than their sender's.
   * One sentence per setting; empty when the cluster may not be asked.
   */
  public static List<String> settingsAtOdds(Admin admin, List<TopicLayout> layouts) throws InterruptedException {
    List<ConfigResource> asked = layouts.stream().filter(l -> keepsEverything(l) || l.name().equals(Topics.SUMS.name()))
        .map(l -> new ConfigResource(ConfigResource.Type.TOPIC, l.name())).toList();
    Map<ConfigResource, KafkaFuture<Config>> described = admin.describeConfigs(asked).values();
    List<String> out = new ArrayList<>();
    for (ConfigResource topic : asked) {
      Config c;
      try {
        c = described.get(topic).get();
      } catch (ExecutionException e) {
        continue; // not visible to this principal, or not there: nothing known
      }
      String stamped = value(c, TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG);
      if (stamped != null && !stamped.equals(Topics.CREATE_TIME)) {
        out.add(topic.name() + " stamps records with the broker's clock (message.timestamp.type=" + stamped + "): readers find a run's records"
            + " from its agent's clock, a minute's margin before, and miss those the broker stamped earlier; set message.timestamp.type="
            + Topics.CREATE_TIME + " on it");
      }
      if (topic.name().equals(Topics.SUMS.name())) {
        String policy = value(c, TopicConfig.CLEANUP_POLICY_CONFIG);
        if (policy != null && !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
          out.add(topic.name() + " is not compacted (cleanup.policy=" + policy + "): it keeps every keyframe the agents send until its"
              + " retention deletes it, where compaction keeps each tensor's newest; set cleanup.policy=compact,delete on it");
        }
        continue;
      }
      if (Topics.LARGE_RECORD_TOPICS.contains(topic.name())) {
        String max = value(c, TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        if (max != null && Long.parseLong(max) < Topics.MAX_FACTORS_RECORD_BYTES) {
          out.add(topic.name() + " takes records of at most " + max + " bytes (max.message.bytes): "
              + (topic.name().equals(Topics.RANK1.name()) ? "a module's factors pass 1 MiB at 70B (top-k factors and their sketch)"
                  : "a record of a model with thousands of tensors (MoE experts) passes 1 MiB")
              + ", and a service whose record is refused stops; set max.message.bytes=" + Topics.MAX_FACTORS_RECORD_BYTES + " on it");
        }
      }
      String ms = value(c, TopicConfig.RETENTION_MS_CONFIG);
      if (ms != null && !ms.equals("-1")) {
        out.add(topic.name() + " deletes records older than " + Duration.ofMillis(Long.parseLong(ms)).toHours() + " h (retention.ms=" + ms
            + "): a run that lasts longer loses its first records, from which the services rebuild their state" + consequence(topic)
            + "; set retention.ms=-1 on it");
      }
      String bytes = value(c, TopicConfig.RETENTION_BYTES_CONFIG);
      if (bytes != null && !bytes.equals("-1")) {
        out.add(topic.name() + " deletes its oldest records beyond " + bytes + " bytes a partition (retention.bytes): a run that outgrows"
            + " it loses its first records, from which the services rebuild their state" + consequence(topic) + "; set retention.bytes=-1 on it");
      }
      String policy = value(c, TopicConfig.CLEANUP_POLICY_CONFIG);
      if (policy != null && policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
        out.add(topic.name() + " is compacted (cleanup.policy=" + policy + "): compaction keeps one record per key and drops the rest of"
            + " the run's history; set cleanup.policy=delete on it");
      }
    }
    return out;
  }

  /**
   * What to say of a partition count the user asked for that the delta topic, made before, does not
   * have: existing topics keep their count, and the option was taken silently (processor instances
   * beyond the delta topic's partitions have nothing to do). Kafka can add partitions, but adding
   * them to alpharl.deltas moves tensors of runs in flight to other partitions, whose later frames
   * are then refused. Empty when the counts agree or the topic cannot be described.
   */
  public static java.util.Optional<String> partitionsKept(Admin admin, int asked) throws InterruptedException {
    try {
      int has = admin.describeTopics(List.of(Topics.DELTAS.name())).allTopicNames().get().get(Topics.DELTAS.name()).partitions().size();
      return has == asked ? java.util.Optional.empty() : java.util.Optional.of("--partitions " + asked + ": " + Topics.DELTAS.name() + " exists with "
          + has + " partitions and keeps them (existing topics are not changed); make the topics with the count the largest number of"
          + " processor instances needs before the first run, and never add partitions to " + Topics.DELTAS.name() + " while runs are in flight");
    } catch (ExecutionException e) {
      return java.util.Optional.empty(); // not visible to this principal, or not there: nothing known
    }
  }

  private static boolean keepsEverything(TopicLayout layout) {
    return "-1".equals(layout.configs().get(TopicConfig.RETENTION_MS_CONFIG));
  }

  private static String consequence(ConfigResource topic) {
    return topic.name().equals(Topics.DELTAS.name()) ? " (after a restart its ΔW cannot be rebuilt, and the run is no longer fitted)" : "";
  }

  private static String value(Config c, String name) {
    ConfigEntry e = c.get(name);
    return e == null ? null : e.value();
  }

  /** Per topic of {@code names} whose description failed, why; in the order of {@code names}. */
  private static Map<String, Throwable> describeFailures(Admin admin, List<String> names) throws InterruptedException {
    return describeEach(admin, names, (name, d) -> {});
  }

  /** Describes each topic of {@code names}: a description to {@code found}; why not, per topic, returned in the order of {@code names}. */
  private static Map<String, Throwable> describeEach(Admin admin, List<String> names, java.util.function.BiConsumer<String, TopicDescription> found)
      throws InterruptedException {
    Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(names).topicNameValues();
    Map<String, Throwable> failures = new LinkedHashMap<>();
    for (String name : names) {
      try {
        found.accept(name, futures.get(name).get());
      } catch (ExecutionException e) {
        failures.put(name, e.getCause());
      }
    }
    return failures;
  }

  private static KafkaException cannotCreate(Throwable cause, List<TopicLayout> layouts) {
    if (cause instanceof TopicAuthorizationException || cause instanceof ClusterAuthorizationException) {
      return new KafkaException("topics missing and this principal may not create them (" + cause.getMessage()
          + "); have an administrator create them (README, \"Secured clusters\") or grant CREATE", cause);
    }
    return new KafkaException("cannot create topics " + layouts.stream().map(TopicLayout::name).toList() + ": " + cause.getMessage(), cause);
  }
}
