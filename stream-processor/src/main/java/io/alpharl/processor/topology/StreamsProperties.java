package io.alpharl.processor.topology;

import io.alpharl.processor.ProcessorConfig;
import io.alpharl.processor.metrics.ProcessorMetrics;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/** The Kafka Streams settings of the processor, made once from its {@link ProcessorConfig}. */
public final class StreamsProperties {
  /** Largest record the processor writes or keeps in a changelog (a Rank1Update of a 70B model's widest module with several factors). */
  static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

  private StreamsProperties() {}

  public static Properties of(ProcessorConfig config) {
    return of(config, new ProcessorMetrics());
  }

  /** The host other instances name this one by: the bind address, or the machine's name for a wildcard. */
  static String advertised(String bindHost) {
    String host = bindHost;
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.isEmpty()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException e) {
        host = "localhost";
      }
    }
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** @param metrics handed to the dead-letter handler, which Kafka Streams makes from its class name */
  public static Properties of(ProcessorConfig config, ProcessorMetrics metrics) {
    Properties p = new Properties();
    // The user's client properties (security, timeouts) first, so the settings below, which the
    // processor's guarantees rest on, cannot be overridden by accident.
    p.putAll(config.kafka().properties());
    // Read from the start wherever the group has no offset (the main consumer's prefix outranks a plain or consumer-prefixed
    // setting): "latest" in --kafka-config began a new application at the log's end and dead-lettered every run in flight.
    p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(DeadLetterHandler.METRICS_CONFIG, metrics);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
    p.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, LogTimeExtractor.class);
    // Kafka 5.0's default, set now so Streams does not warn about it on every start (the topology has no global stores).
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    // A transaction commit that times out in a broker outage must not happen. Kafka Streams takes
    // it for a corrupted task: it wipes the task's stores and revives the task, but the timed-out
    // transaction still commits once the broker is back, and the revived task then restores its
    // emptied stores from the offset that transaction reached, not from the start: a run's
    // manifest was lost that way, and every later record of the run dead-lettered (5 s client
    // timeouts, a 35 s outage; with the defaults an outage over 60 s mid-commit does the same).
    // So the thread's producer waits for the broker as long as it takes. An outage that outlasts
    // the transaction timeout ends in the coordinator aborting the transaction and fencing the
    // producer, which Kafka Streams handles by closing the tasks and creating new ones that
    // restore from the committed log.
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_BLOCK_MS_CONFIG), Integer.MAX_VALUE);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG), Integer.MAX_VALUE);
    // Under exactly-once Kafka Streams gives its producer a 10 s transaction timeout. A loop of the stream thread processes a record
    // of each of its tasks before it may commit, and a record that completes a module's step is a solve: about 0.2 s at 0.5B in the
    // noise-like regime, seconds for a 7B model's widest matrices (estimated from the sweep's cost per value, not measured). A
    // transaction holding several such solves outlasted 10 s, the coordinator aborted it, and the thread's tasks were revived on wiped
    // stores, to do the same again. 30 s unless the user sets it; the cost: where a dead instance is not restarted on its state folder
    // (which fences its transaction at once), readers of its output, and an instance taking its tasks over, wait up to that long.
    if (config.userTransactionTimeout().isEmpty()) {
      p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), (int) ProcessorConfig.DEFAULT_TRANSACTION_TIMEOUT.toMillis());
    }
    // replication.factor is left to the user's properties, else the broker's default: 1 here, after them, made every store's
    // changelog one broker's disk away from lost on a cluster of several, whatever the user set.
    ProcessorConfig.Scaling scaling = config.scaling();
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, scaling.streamThreads());
    // The instance and its settings' fingerprint, which the group's description shows the other instances (GroupSettings).
    p.put(StreamsConfig.CLIENT_ID_CONFIG, io.alpharl.processor.GroupSettings.clientId(config));
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, scaling.standbyReplicas());
    // Each instance's HTTP address, which the group passes round: an instance asked for a run another holds names that one
    // (StateQueries#holderOf). A wildcard bind names the machine; application.server in the --kafka-config file overrides it.
    if (config.httpPort() > 0 && !p.containsKey(StreamsConfig.APPLICATION_SERVER_CONFIG)) {
      p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertised(config.httpHost()) + ":" + config.httpPort());
    }
    // Static membership: a restarted instance rejoins under its old identity and gets its tasks
    // back at once, instead of the group waiting for the dead member's session to expire.
    scaling.instanceId().ifPresent(id -> p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id));
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), (int) scaling.sessionTimeout().toMillis());
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), (int) Math.max(500, scaling.sessionTimeout().toMillis() / 5));
    // Frames are up to ~0.5 MiB and a step is many of them: fetch in larger pieces.
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 8 * 1024 * 1024);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 200);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), MAX_RECORD_BYTES);
    p.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), String.valueOf(MAX_RECORD_BYTES));
    return p;
  }
}
