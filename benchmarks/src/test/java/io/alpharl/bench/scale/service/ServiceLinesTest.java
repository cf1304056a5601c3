package io.alpharl.bench.scale.service;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The lines are copied from the services' logs of a real run. */
class ServiceLinesTest {
  @Test
  void agentStepLine() {
    String line = "10:26:54.876 INFO  i.a.a.CheckpointAgent - run scale-tiny-0938169c step 3: 65 frames, 832 KiB in 157 ms (5.4 MB/s), "
        + "y=0.5009039020384987";
    assertThat(ServiceLines.agentStep(line)).contains(new ServiceLines.AgentStep("scale-tiny-0938169c", 3, 65, 832, 157));
    assertThat(ServiceLines.agentStep("10:26:45.250 INFO  i.a.a.CheckpointAgent - run r: watching /tmp/run from step 0 of 10 planned")).isEmpty();
  }

  @Test
  void processorRunningAndRestoredLines() {
    assertThat(ServiceLines.processorRunning("11:02:13.004 INFO  i.a.p.ProcessorApp - stream processor bench-scale-1a2b3c4d running "
        + "(rank-1 backend cpu(2 threads, vector))")).contains("bench-scale-1a2b3c4d");
    assertThat(ServiceLines.processorRunning("11:02:01.250 INFO  i.a.p.ProcessorApp - stream processor bench-scale-1a2b3c4d starting")).isEmpty();
    assertThat(ServiceLines.processorSettings("11:02:13.004 INFO  i.a.p.ProcessorApp - stream processor bench-scale-1a2b3c4d running "
        + "(rank-1 backend cpu(2 threads, vector(256-bit)), top-4 factors, solver tolerance 1.0E-5)"))
        .contains(new ServiceLines.ProcessorSettings("cpu(2 threads, vector(256-bit))", 4, 1e-5, "DOUBLE"));
    assertThat(ServiceLines.processorSettings("11:02:13.004 INFO  i.a.p.ProcessorApp - stream processor bench-scale-1a2b3c4d running "
        + "(rank-1 backend cpu(2 threads, vector(256-bit)), top-1 factors, solver tolerance 0.001, sweeps in FLOAT)"))
        .contains(new ServiceLines.ProcessorSettings("cpu(2 threads, vector(256-bit))", 1, 1e-3, "FLOAT"));
    assertThat(ServiceLines.processorSettings("stream processor bench-scale-1a2b3c4d running (rank-1 backend cpu(2 threads, vector))")).isEmpty();
    assertThat(ServiceLines.restored("11:02:12.731 INFO  i.a.p.RestoreProgress - restored delta-sums from alpharl.deltas-3: 1932 records in 8412 ms"))
        .contains(new ServiceLines.Restored("delta-sums", "alpharl.deltas-3", 1932, 8412));
    assertThat(ServiceLines.restored("11:02:05.001 INFO  i.a.p.RestoreProgress - restoring delta-sums from alpharl.deltas-3: 900 records, "
        + "offset 899 of 1932 (47 %)")).as("progress lines are not the end of a restore").isEmpty();
  }

  @Test
  void agentWatchingLine() {
    String line = "10:26:45.250 INFO  i.a.a.CheckpointAgent - run scale-tiny-0938169c: watching /tmp/rs-tiny/run from step 0 of 10 planned; "
        + "base /tmp/rs-tiny/run/checkpoint-0 (50 tensors, 28 modelled); progress key 'reward'";
    assertThat(ServiceLines.agentWatching(line)).contains("scale-tiny-0938169c");
  }

  @Test
  void modelWriteLineInAnyLocale() {
    String line = "10:26:57.946 INFO  i.a.e.ExtrapolatorService - run scale-tiny-0938169c: predicted model from step 4 (at 40 % of the run) "
        + "written to /tmp/rs-tiny/predictions/scale-tiny-0938169c/step-4-step: 26 of 28 modules extrapolated, 6.9 MB in 280 ms";
    assertThat(ServiceLines.modelWrite(line)).contains(new ServiceLines.ModelWrite("scale-tiny-0938169c", 4,
        "/tmp/rs-tiny/predictions/scale-tiny-0938169c/step-4-step", 6.9, 280, null));
    assertThat(ServiceLines.modelWrite(line + " (95 ms of them reading the factors and the delta log)").orElseThrow().logScanMillis()).isEqualTo(95L);
    assertThat(ServiceLines.modelWrite(line.replace("6.9 MB", "1234,5 MB")).orElseThrow().megabytes()).isEqualTo(1234.5);
  }

  @Test
  void brokerReadyAndBackendLines() {
    assertThat(ServiceLines.brokerBootstrap("Kafka broker (KRaft) ready at 127.0.0.1:59773 in 3400 ms; missing topics created (existing ones kept as they are). Ctrl-C stops it."))
        .contains("127.0.0.1:59773");
    assertThat(ServiceLines.brokerBootstrap("10:26:34.732 INFO  i.a.b.EmbeddedKafkaBroker - embedded KRaft broker ready at 127.0.0.1:59773 in 3400 ms"))
        .as("the broker's own log line comes before the topics exist").isEmpty();
    assertThat(ServiceLines.extrapolationBackend("10:26:41.302 INFO  i.a.e.b.ExtrapolationBackends - extrapolation backend: cpu(2 threads) (no usable CUDA device)"))
        .contains("cpu(2 threads) (no usable CUDA device)");
  }
}
