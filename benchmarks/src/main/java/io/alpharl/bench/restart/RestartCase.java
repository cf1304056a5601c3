package io.alpharl.bench.restart;

import io.alpharl.bench.restart.OutputWatcher.Arrival;
import io.alpharl.bench.restart.OutputWatcher.Output;
import io.alpharl.bench.restart.OutputWatcher.Source;
import io.alpharl.bench.scale.service.BrokerProcess;
import io.alpharl.bench.scale.service.JavaService;
import io.alpharl.bench.scale.service.ServiceGroup;
import io.alpharl.bench.scale.service.SystemLoad;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One case on a broker of its own: {@code runs} replays streaming at once through the processor
 * and the extrapolator, each service its own JVM from the {@code alpharl} jar with only its
 * documented options; the victim is killed with SIGKILL mid-run and started again on the same
 * state, and the time to its first new committed output is measured. Everything is stopped at the
 * end, agents first, broker last.
 */
final class RestartCase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestartCase.class);
  static final String APPLICATION = "alpharl-restart";
  private static final String CAUGHT_UP = "caught up with its inputs";

  private final RestartConfig config;
  private final Victim victim;
  private final int runs;
  private final Path dir;
  private final ServiceGroup started = new ServiceGroup("run-restart");
  private final List<String> runIds = new ArrayList<>();
  private int launches;

  RestartCase(RestartConfig config, Victim victim, int runs) throws IOException {
    this.config = config;
    this.victim = victim;
    this.runs = runs;
    this.dir = Files.createDirectories(config.work().resolve(victim.key() + "-runs-" + runs));
    Files.createDirectories(dir.resolve("logs"));
    for (int i = 1; i <= runs; i++) {
      runIds.add("restart-" + i);
    }
  }

  Measurement measure() throws IOException, InterruptedException {
    BrokerProcess broker = BrokerProcess.start(config.jar(), "1g", dir.resolve("broker"), BrokerProcess.DEFAULT_PARTITIONS, dir.resolve("logs").resolve("broker.log"));
    started.add(broker.service());
    String bootstrap = broker.bootstrap();
    try (OutputWatcher watcher = new OutputWatcher(bootstrap)) {
      JavaService processor = startProcessor(bootstrap);
      JavaService extrapolator = startExtrapolator(bootstrap);
      List<JavaService> agents = new ArrayList<>();
      for (String run : runIds) {
        agents.add(startAgent(bootstrap, run));
      }
      Source source = switch (victim) {
        case PROCESSOR -> Source.PROCESSOR;
        case EXTRAPOLATOR -> Source.EXTRAPOLATOR;
        case AGENT -> Source.AGENT;
      };
      // After its prediction at 40 % the extrapolator scores every later fit, so its kill step is past that.
      long killAt = victim == Victim.EXTRAPOLATOR ? config.extrapolatorKillAtStep() : config.killAtStep();
      if (!await(() -> watcher.slowestRunStep(source, runIds) >= killAt)) {
        return missing("every run's " + source.name().toLowerCase(java.util.Locale.ROOT) + " output was not past step " + killAt + " within "
            + config.timeout());
      }
      Double load = SystemLoad.oneMinute();
      JavaService dead = switch (victim) {
        case PROCESSOR -> processor;
        case EXTRAPOLATOR -> extrapolator;
        case AGENT -> agents.get(0);
      };
      // The agent case follows the killed agent's own run; the others' agents keep committing meanwhile.
      Predicate<Output> ofVictim = victim == Victim.AGENT ? o -> o.runId().equals(runIds.get(0)) : o -> true;
      List<String> followed = victim == Victim.AGENT ? List.of(runIds.get(0)) : runIds;
      long killedAt = watcher.slowestRunStep(source, followed);
      // How far its input had gone: a victim already behind at the kill has that backlog to work off after the restart.
      long upstreamAt = switch (victim) {
        case PROCESSOR -> watcher.slowestRunStep(Source.AGENT, runIds);
        case EXTRAPOLATOR -> watcher.slowestRunStep(Source.PROCESSOR, runIds);
        case AGENT -> killedAt;
      };
      dead.killAndWait();
      Set<Output> before = watcher.published(source);
      LOG.info("{} killed (SIGKILL) with {} runs in flight, at step {} (its input at step {}); load average {}", victim.key(), runs, killedAt,
          upstreamAt, load);
      long t0 = System.currentTimeMillis();
      JavaService again = switch (victim) {
        case PROCESSOR -> startProcessor(bootstrap);
        case EXTRAPOLATOR -> startExtrapolator(bootstrap);
        case AGENT -> startAgent(bootstrap, runIds.get(0));
      };
      CompletableFuture<Optional<Long>> caughtUp = victim != Victim.EXTRAPOLATOR ? CompletableFuture.completedFuture(Optional.empty())
          : CompletableFuture.supplyAsync(() -> {
              try {
                return again.awaitLine(line -> line.contains(CAUGHT_UP) ? Optional.of(System.currentTimeMillis()) : Optional.empty(),
                    config.timeout());
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
              }
            });
      Optional<Arrival> first = watcher.awaitNew(source, before, ofVictim, config.timeout());
      Double caughtUpSeconds = caughtUp.join().map(ms -> (ms - t0) / 1000.0).orElse(null);
      String missing = null;
      if (first.isEmpty()) {
        missing = "no new output within " + config.timeout() + (again.isAlive() ? "" : " (it exited; see " + again.log().path() + ")");
      } else if (victim == Victim.EXTRAPOLATOR && caughtUpSeconds == null) {
        missing = "no '" + CAUGHT_UP + "' line within " + config.timeout() + " in " + again.log().path();
      }
      Double seconds = first.map(a -> (a.unixMs() - t0) / 1000.0).orElse(null);
      String what = first.map(a -> a.output().what() + " of " + a.output().runId() + " step " + a.output().step()).orElse(null);
      LOG.info("{} restarted with {} runs in flight: first new output {} s after its launch ({}){}", victim.key(), runs, seconds, what,
          caughtUpSeconds == null ? "" : "; caught up with its inputs after " + caughtUpSeconds + " s");
      return new Measurement(runs, victim, seconds, caughtUpSeconds, killedAt, upstreamAt, what, load, missing);
    }
  }

  private Measurement missing(String why) {
    LOG.warn("{} with {} runs: {}", victim.key(), runs, why);
    return new Measurement(runs, victim, null, null, 0, 0, null, SystemLoad.oneMinute(), why);
  }

  private boolean await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + config.timeout().toNanos();
    while (!condition.getAsBoolean()) {
      // An agent ends by itself when its run is sent; the broker, processor and extrapolator must not.
      if (System.nanoTime() > deadline || started.all().stream().anyMatch(s -> !s.isAlive() && !s.name().startsWith("agent"))) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  private JavaService startProcessor(String bootstrap) throws IOException {
    return start("processor", "1g", List.of("processor", "--bootstrap-servers", bootstrap, "--application-id", APPLICATION,
        "--state-dir", dir.resolve("state").toString(), "--http-port", "0"));
  }

  private JavaService startExtrapolator(String bootstrap) throws IOException {
    return start("extrapolator", "768m", List.of("extrapolator", "--bootstrap-servers", bootstrap, "--id", APPLICATION + "-extrapolator",
        "--processor-application", APPLICATION, "--out", dir.resolve("predictions").toString(), "--predict-at", "0.4",
        "--metrics-port", "0", "--backend", "CPU"));
  }

  private JavaService startAgent(String bootstrap, String run) throws IOException {
    return start("agent-" + run, "512m", List.of("agent", "replay", config.recording().toString(), "--run-id", run,
        "--base-dir", dir.resolve("base-" + run).toString(), "--bootstrap-servers", bootstrap, "--step-interval", config.stepInterval().toString()));
  }

  private JavaService start(String name, String xmx, List<String> args) throws IOException {
    Path log = dir.resolve("logs").resolve(name + "-" + (++launches) + ".log");
    return started.add(JavaService.start(name, config.jar(), xmx, args, log));
  }

  /** Stops every service it started, the last started first (the broker was the first). */
  @Override
  public void close() {
    started.close();
  }
}
