package io.alpharl.processor;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * Instances of one application must share the settings their outputs depend on: a run's fits are
 * made by the instance that holds its partition, and a module's factors by the one that holds the
 * module's, so an instance started with other settings made a run's fits change when its partition
 * moved, and its factors were refused by the others (a start with mixed --factors wedged every
 * instance: each failed on the modules the other settings had computed). Each instance names its
 * settings' fingerprint ({@link ProcessorConfig#outputSettings}) in its client id, which the group's
 * description shows, and an instance whose settings differ from a live member's refuses to start.
 * Settings change by stopping every instance, as before.
 */
public final class GroupSettings {
  static final String MARK = "-settings-";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GroupSettings.class);
  private static final Duration ASK_FOR = Duration.ofSeconds(30);

  private GroupSettings() {}

  /** The client id that names the instance and its settings' fingerprint (Kafka Streams appends its threads' names). */
  public static String clientId(ProcessorConfig config) {
    return config.scaling().instanceId().orElse(config.applicationId()) + MARK + config.outputSettings();
  }

  /** The settings' fingerprint a member's client id names; empty for a member of a build that did not name it. */
  static Optional<String> fingerprintOf(String memberClientId) {
    int at = memberClientId.lastIndexOf(MARK);
    if (at < 0) {
      return Optional.empty();
    }
    String rest = memberClientId.substring(at + MARK.length());
    int end = rest.indexOf('-');
    return Optional.of(end < 0 ? rest : rest.substring(0, end));
  }

  /**
   * Refuses when a live member of the application, other than this instance's own earlier
   * membership (a static member kept after a kill -9 until its session expires), was started with
   * other settings.
   *
   * @throws SettingsMismatchException naming the member, its settings and these
   */
  static void requireSameAsLiveMembers(ProcessorConfig config) {
    if ("streams".equalsIgnoreCase(config.kafka().properties().getOrDefault("group.protocol", ""))) {
      LOG.warn("group.protocol=streams: the processor group is not a consumer group, and whether every instance shares this one's settings"
          + " is not checked; start every instance with the same --factors, solver and fit settings");
      return;
    }
    ConsumerGroupDescription group;
    try (Admin admin = Admin.create(config.kafka().config())) {
      group = admin.describeConsumerGroups(List.of(config.applicationId())).all().get(ASK_FOR.toMillis(), TimeUnit.MILLISECONDS)
          .get(config.applicationId());
    } catch (ExecutionException | TimeoutException e) {
      // Best effort: a group not made yet, a coordinator not answering or a principal without Describe on the group must not keep
      // the processor from starting, which Kafka Streams would then wait out.
      Throwable why = e instanceof ExecutionException ? e.getCause() : e;
      if (!(why instanceof GroupIdNotFoundException)) {
        LOG.warn("cannot describe the processor group {} ({}): whether every instance shares this one's settings is not checked", config.applicationId(),
            why.toString());
      }
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing the processor group", e);
    }
    // Its own earlier static membership (kept after a kill -9 until its session expires) is skipped; without an instance id there
    // is none, and every member is another's.
    Optional<String> ownInstance = config.scaling().instanceId().map(id -> id + MARK);
    for (MemberDescription m : group == null ? List.<MemberDescription>of() : group.members()) {
      if (ownInstance.isPresent() && m.clientId().startsWith(ownInstance.get())) {
        continue;
      }
      Optional<String> theirs = fingerprintOf(m.clientId());
      if (theirs.isPresent() && !theirs.get().equals(config.outputSettings())) {
        throw new SettingsMismatchException("instance " + m.clientId().substring(0, m.clientId().lastIndexOf(MARK)) + " of processor application "
            + config.applicationId() + " runs with other output settings (fingerprint " + theirs.get() + ") than this one's ("
            + config.outputSettings() + ": " + config.factorSettings() + " and the fit settings): every instance must share --factors, the"
            + " solver's and the fits' settings, or a run's fits would change as its partition moves; to change them, stop every instance first");
      }
    }
  }

  /** An instance started with settings other than a live member's: the operator's to fix. */
  public static final class SettingsMismatchException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    SettingsMismatchException(String message) {
      super(message);
    }
  }
}
