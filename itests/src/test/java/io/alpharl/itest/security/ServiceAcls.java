package io.alpharl.itest.security;

import io.alpharl.extrapolator.follow.ReplayStart;
import io.alpharl.proto.topic.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The least-privilege ACLs of each service, as README.md ("Secured clusters") lists them: only the
 * extrapolator writes {@code alpharl.control}; the agent reads it.
 */
final class ServiceAcls {
  private ServiceAcls() {}

  static List<AclBinding> agent(String principal) {
    List<AclBinding> out = new ArrayList<>();
    for (String t : List.of(Topics.DELTAS.name(), Topics.STEPS.name(), Topics.RUNS.name())) {
      out.addAll(topic(principal, t, AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE)); // read back on resume
    }
    out.addAll(topic(principal, Topics.SUMS.name(), AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE)); // read back on resume
    out.addAll(topic(principal, Topics.CONTROL.name(), AclOperation.READ, AclOperation.DESCRIBE));
    out.addAll(topic(principal, Topics.DLQ.name(), AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE)); // its earlier letters, read back
    out.addAll(prefixed(principal, ResourceType.TRANSACTIONAL_ID, "alpharl-agent-", AclOperation.WRITE, AclOperation.DESCRIBE));
    return out;
  }

  static List<AclBinding> processor(String principal, String applicationId) {
    List<AclBinding> out = new ArrayList<>();
    for (String t : List.of(Topics.DELTAS.name(), Topics.STEPS.name(), Topics.RUNS.name(), Topics.PREDICTIONS.name(), Topics.SCORES.name(),
        Topics.CONTROL.name())) {
      out.addAll(topic(principal, t, AclOperation.READ, AclOperation.DESCRIBE));
    }
    out.addAll(topic(principal, Topics.RANK1.name(), AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE));
    out.addAll(topic(principal, Topics.FITS.name(), AclOperation.WRITE, AclOperation.DESCRIBE));
    out.addAll(topic(principal, Topics.DLQ.name(), AclOperation.WRITE, AclOperation.DESCRIBE));
    out.addAll(prefixed(principal, ResourceType.TOPIC, applicationId + "-", AclOperation.ALL)); // its changelogs
    out.addAll(literal(principal, ResourceType.GROUP, applicationId, AclOperation.READ));
    out.addAll(prefixed(principal, ResourceType.TRANSACTIONAL_ID, applicationId + "-", AclOperation.WRITE, AclOperation.DESCRIBE));
    return out;
  }

  static List<AclBinding> extrapolator(String principal, String id) {
    List<AclBinding> out = new ArrayList<>();
    for (String t : List.of(Topics.RUNS.name(), Topics.STEPS.name(), Topics.FITS.name(), Topics.RANK1.name(), Topics.DELTAS.name(),
        Topics.SUMS.name())) {
      out.addAll(topic(principal, t, AclOperation.READ, AclOperation.DESCRIBE));
    }
    for (String t : List.of(Topics.PREDICTIONS.name(), Topics.CONTROL.name(), Topics.SCORES.name(), Topics.DLQ.name())) {
      out.addAll(topic(principal, t, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE)); // read back on restart
    }
    out.addAll(literal(principal, ResourceType.TRANSACTIONAL_ID, id, AclOperation.WRITE, AclOperation.DESCRIBE));
    out.addAll(literal(principal, ResourceType.GROUP, ReplayStart.group(id), AclOperation.READ)); // where its next start begins
    return out;
  }

  private static List<AclBinding> topic(String principal, String name, AclOperation... ops) {
    return literal(principal, ResourceType.TOPIC, name, ops);
  }

  private static List<AclBinding> literal(String principal, ResourceType type, String name, AclOperation... ops) {
    return bindings(principal, new ResourcePattern(type, name, PatternType.LITERAL), ops);
  }

  private static List<AclBinding> prefixed(String principal, ResourceType type, String prefix, AclOperation... ops) {
    return bindings(principal, new ResourcePattern(type, prefix, PatternType.PREFIXED), ops);
  }

  private static List<AclBinding> bindings(String principal, ResourcePattern pattern, AclOperation... ops) {
    List<AclBinding> out = new ArrayList<>();
    for (AclOperation op : ops) {
      out.add(new AclBinding(pattern, new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
    }
    return out;
  }
}
