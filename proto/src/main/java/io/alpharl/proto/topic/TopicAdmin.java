package io.alpharl.proto.topic;

import java.util.ArrayList;
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
    List<String> missing = new ArrayList<>();
    try (Admin admin = Admin.create(conf)) {
      Map<String, KafkaFuture<TopicDescription>> found = admin.describeTopics(names).topicNameValues();
      for (String name : names) {
        try {
          found.get(name).get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof UnknownTopicOrPartitionException) {
            missing.add(name);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (KafkaException e) {
      // no answer: nothing known
    }
    return missing;
  }

  public static void ensure(Admin admin, List<TopicLayout> layouts) {
    try {
      Map<String, KafkaFuture<TopicDescription>> found = admin.describeTopics(layouts.stream().map(TopicLayout::name).toList()).topicNameValues();
      List<NewTopic> missing = new ArrayList<>();
      for (TopicLayout l : layouts) {
        try {
          found.get(l.name()).get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof UnknownTopicOrPartitionException) {
            missing.add(l.toNewTopic());
          } else if (!(e.getCause() instanceof TopicAuthorizationException)) {
            throw e;
          }
        }
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicAuthorizationException || e.getCause() instanceof ClusterAuthorizationException) {
        throw new KafkaException("topics missing and this principal may not create them (" + e.getCause().getMessage()
            + "); have an administrator create them (README, \"Secured clusters\") or grant CREATE", e.getCause());
      }
      throw new KafkaException("cannot create topics " + layouts.stream().map(TopicLayout::name).toList() + ": " + e.getCause().getMessage(), e.getCause());
    }
  }
}
