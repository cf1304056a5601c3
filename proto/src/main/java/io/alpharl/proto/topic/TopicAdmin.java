package io.alpharl.proto.topic;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the system's topics where they are missing; existing topics are left as they are. On a
 * cluster with ACLs a service's principal may not even see topics it does not use: those are left
 * to an administrator (and to the service that uses them), not reported as missing.
 */
public final class TopicAdmin {
  private TopicAdmin() {}

  /**
   * The topics of {@code names} that the cluster says do not exist; empty when it does not answer
   * within {@code timeoutMs} or may not be asked (then nothing is known to be missing).
   */
  public static List<String> missing(KafkaClients kafka, List<String> names, int timeoutMs) {
    Map<String, Object> conf = kafka.config();
    conf.put("default.api.timeout.ms", timeoutMs);
    conf.put("request.timeout.ms", timeoutMs);
    try (Admin admin = Admin.create(conf)) {
      return describeFailures(admin, names).entrySet().stream().filter(e -> e.getValue() instanceof UnknownTopicOrPartitionException)
          .map(Map.Entry::getKey).toList();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (KafkaException e) {
      // no answer: nothing known
    }
    return List.of();
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
        admin.createTopics(missing).all().get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw cannotCreate(e.getCause(), layouts);
    }
  }

  /** Per topic of {@code names} whose description failed, why; in the order of {@code names}. */
  private static Map<String, Throwable> describeFailures(Admin admin, List<String> names) throws InterruptedException {
    Map<String, KafkaFuture<TopicDescription>> found = admin.describeTopics(names).topicNameValues();
    Map<String, Throwable> failures = new LinkedHashMap<>();
    for (String name : names) {
      try {
        found.get(name).get();
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
