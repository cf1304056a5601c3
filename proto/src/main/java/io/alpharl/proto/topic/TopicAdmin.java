package io.alpharl.proto.topic;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;

/** Creates the system's topics where they are missing; existing topics are left as they are. */
public final class TopicAdmin {
  private TopicAdmin() {}

  public static void ensure(Admin admin, List<TopicLayout> layouts) {
    try {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = layouts.stream()
          .filter(l -> !existing.contains(l.name()))
          .map(TopicLayout::toNewTopic)
          .toList();
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KafkaException("interrupted while creating topics", e);
    } catch (ExecutionException e) {
      throw new KafkaException("cannot create topics " + layouts.stream().map(TopicLayout::name).toList() + ": " + e.getCause().getMessage(), e.getCause());
    }
  }
}
