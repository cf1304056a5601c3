package io.alpharl.bench.scale;

import io.alpharl.bench.scale.service.BrokerProcess;
import io.alpharl.bench.scale.service.JavaService;
import io.alpharl.bench.scale.service.RssSampler;
import io.alpharl.bench.scale.service.ServiceGroup;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The four services of the system, each a JVM started from the {@code alpharl} jar with only its
 * documented command line: an embedded broker on a free port, the processor, the extrapolator and
 * the agent watching the run directory. {@link #close} stops them, agent first, broker last.
 */
final class Pipeline implements AutoCloseable {
  private final ServiceGroup started = new ServiceGroup("run-scale");
  private final ScaleConfig config;
  private final String bootstrap;
  private final JavaService broker;
  private final WorkDir work;
  private final RssSampler sampler;
  private final List<String> processorArgs;
  private final List<String> agentArgs;
  private JavaService processor;
  private final JavaService extrapolator;
  private JavaService agent;

  private Pipeline(ScaleConfig c, WorkDir work, String runId, String applicationId, RssSampler sampler) throws IOException, InterruptedException {
    this.config = c;
    this.work = work;
    this.sampler = sampler;
    try {
      BrokerProcess b = BrokerProcess.start(c.jar(), c.heaps().broker(), work.brokerData(), c.partitions(), work.log("broker"));
      started.add(b.service());
      sampler.watch(b.service());
      broker = b.service();
      bootstrap = b.bootstrap();
      processorArgs = List.of("processor", "--bootstrap-servers", bootstrap,
          "--application-id", applicationId, "--state-dir", work.processorState().toString(), "--http-port", "0", "--factors", Integer.toString(c.factors()),
          "--stream-threads", Integer.toString(c.streamThreads()), "--rank1-threads", Integer.toString(c.rank1Threads()),
          "--solver-tolerance", Double.toString(c.solverTolerance()), "--sweep-precision", c.sweepPrecision().name(),
          "--snapshot-every", Integer.toString(c.snapshotEvery()));
      processor = start("processor", c.heaps().processor(), processorArgs, work.log("processor"));
      List<String> extrapolatorArgs = new ArrayList<>(List.of("extrapolator", "--bootstrap-servers", bootstrap,
          "--id", applicationId + "-extrapolator", "--processor-application", applicationId, "--out", work.predictions().toString(), "--predict-at", Double.toString(c.predictAt()),
          "--metrics-port", "0"));
      extrapolator = start("extrapolator", c.heaps().extrapolator(), extrapolatorArgs, work.log("extrapolator"));
      // A short poll interval: the agent sees a checkpoint once two scans agree, and the loop waits for it.
      agentArgs = List.of("agent", "watch", work.run().toString(), "--bootstrap-servers", bootstrap,
          "--run-id", runId, "--progress-key", "reward", "--poll-interval", "PT0.2S", "--keyframe-every", Integer.toString(c.keyframeEvery()),
          "--state-dir", work.agentState().toString());
      agent = start("agent", c.heaps().agent(), agentArgs, work.log("agent"));
    } catch (IOException | InterruptedException | RuntimeException e) {
      close();
      throw e;
    }
  }

  static Pipeline start(ScaleConfig c, WorkDir work, String runId, String applicationId, RssSampler sampler) throws IOException, InterruptedException {
    return new Pipeline(c, work, runId, applicationId, sampler);
  }

  private JavaService start(String name, String xmx, List<String> args, Path log) throws IOException {
    JavaService s = started.add(JavaService.start(name, config.jar(), xmx, args, log));
    sampler.watch(s);
    return s;
  }

  /** Kills the processor with SIGKILL, as a crash would: nothing is flushed or closed. */
  void killProcessor() throws InterruptedException {
    processor.killAndWait();
  }

  /** Kills the agent with SIGKILL, as a crash would: its step in progress, if any, is left open to be aborted. */
  void killAgent() throws InterruptedException {
    agent.killAndWait();
  }

  /** Starts a new agent with the killed one's command line, logging to {@code agent-restart}; returns at once. */
  JavaService startAgentAgain() throws IOException {
    if (agent.isAlive()) {
      throw new IllegalStateException("the agent is still running");
    }
    agent = start("agent", config.heaps().agent(), agentArgs, work.log("agent-restart"));
    return agent;
  }

  /** Starts a new processor with the killed one's command line, logging to {@code processor-restart}; returns at once. */
  JavaService startProcessorAgain() throws IOException {
    if (processor.isAlive()) {
      throw new IllegalStateException("the processor is still running");
    }
    processor = start("processor", config.heaps().processor(), processorArgs, work.log("processor-restart"));
    return processor;
  }

  String bootstrap() {
    return bootstrap;
  }

  JavaService broker() {
    return broker;
  }

  JavaService processor() {
    return processor;
  }

  JavaService extrapolator() {
    return extrapolator;
  }

  JavaService agent() {
    return agent;
  }

  /** Services in {@link ScaleReport#SERVICES} order. */
  List<JavaService> services() {
    return List.of(agent, processor, extrapolator, broker);
  }

  @Override
  public void close() {
    started.close();
  }
}
