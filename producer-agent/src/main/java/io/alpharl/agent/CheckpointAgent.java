package io.alpharl.agent;

import io.alpharl.agent.checkpoint.CheckpointDir;
import io.alpharl.agent.checkpoint.CheckpointScanner;
import io.alpharl.agent.checkpoint.ProgressReader;
import io.alpharl.agent.delta.RunningSum;
import io.alpharl.agent.publish.StepSink;
import io.alpharl.proto.frame.TensorChunker;
import io.alpharl.proto.frame.TensorRef;
import io.alpharl.proto.frame.ValuesCrc32c;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.DeadLetter;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.RunStatus;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.SafetensorsException;
import io.alpharl.safetensors.TensorEntry;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a trainer's output directory and turns each new complete checkpoint into one step on a
 * {@link StepSink}: δ_t per tensor (see {@link RunningSum}) in frames, then a
 * {@code StepCommitted} with y_t and a CRC32C per tensor.
 *
 * <p>A checkpoint that cannot be read (truncated, corrupt, wrong tensors or shapes, NaN) becomes
 * a dead letter naming the problem, and the agent goes on: the next good checkpoint's delta
 * covers the skipped one, so nothing is lost. Steps at or below the last committed step are
 * never sent again. Owns the base checkpoint (memory-mapped, read a tensor at a time) and a
 * chunker; its heap holds the running sum (one f32 copy of the model) and one tensor. Not
 * thread-safe.
 */
public final class CheckpointAgent implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointAgent.class);

  private final AgentConfig config;
  private final StepSink sink;
  private final CheckpointScanner scanner;
  private final ProgressReader progress;
  private final Checkpoint base;
  private final RunManifest.Builder manifest;
  private final TensorChunker chunker;
  private final RunningSum sum;
  private final Set<Long> rejected = new HashSet<>();
  private long lastStep;
  private long bytesOfDeltas;

  /**
   * @param lastCommittedStep the newest step consumers already have (0 for a new run)
   * @param sum               their running sum (see {@link RunningSum}); empty for a new run
   */
  public CheckpointAgent(AgentConfig config, StepSink sink, BufferAllocator allocator, long lastCommittedStep, RunningSum sum) {
    this.config = config;
    this.sink = sink;
    this.scanner = new CheckpointScanner(config.runDir());
    this.progress = new ProgressReader(config.progressKey());
    this.base = Checkpoint.open(config.basePath());
    this.chunker = new TensorChunker(allocator, config.chunking());
    this.sum = sum;
    this.lastStep = lastCommittedStep;
    this.manifest = RunManifest.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setRunId(config.runId())
        .setPlannedSteps(config.plannedSteps())
        .setProgressSignalName(config.progressKey())
        .setWireDtype(config.wire().proto())
        .setBaseModelPath(config.basePath().toAbsolutePath().toString())
        .setStatus(RunStatus.RUN_STATUS_RUNNING)
        .setLastStep(lastCommittedStep)
        .setCreatedUnixMs(System.currentTimeMillis());
    addBaseModelFiles(manifest, base.dir());
    for (TensorEntry t : base.tensors().values()) {
      manifest.addTensors(TensorInfo.newBuilder()
          .setName(t.name())
          .addAllShape(t.shape())
          .setDtype(toWire(t.dtype()))
          .setModelled(config.modules().isModelled(t)));
    }
  }

  /** Publishes the manifest and, for recordings, the base weights. Call once before {@link #poll}. */
  public void start() {
    if (manifest.getPlannedSteps() == 0) {
      List<CheckpointDir> seen = scanner.present();
      if (!seen.isEmpty()) {
        manifest.setPlannedSteps(ProgressReader.plannedSteps(seen.get(seen.size() - 1)));
      }
    }
    sink.manifest(manifest.build());
    for (TensorEntry t : base.tensors().values()) {
      chunker.split(new TensorRef(config.runId(), 0, t.name(), t.shape()), FloatBuffer.wrap(base.floats(t.name())), sink::baseFrame);
    }
    LOG.info("run {}: watching {} from step {} of {} planned; base {} ({} tensors, {} modelled); progress key '{}'",
        config.runId(), config.runDir(), lastStep, manifest.getPlannedSteps(), config.basePath(), manifest.getTensorsCount(),
        manifest.getTensorsList().stream().filter(TensorInfo::getModelled).count(), config.progressKey());
  }

  /** Sends every complete checkpoint newer than the last committed step; returns how many. */
  public int poll() {
    int sent = 0;
    for (CheckpointDir c : scanner.complete()) {
      if (c.step() <= lastStep || rejected.contains(c.step())) {
        continue;
      }
      if (sendStep(c)) {
        sent++;
      }
    }
    return sent;
  }

  /** Marks the run finished (or stopped early) in the manifest. */
  public void finish(RunStatus status) {
    sink.manifest(manifest.setStatus(status).setLastStep(lastStep).build());
  }

  public long lastStep() {
    return lastStep;
  }

  /** Bytes of delta frames sent so far. */
  public long bytesOfDeltas() {
    return bytesOfDeltas;
  }

  private boolean sendStep(CheckpointDir c) {
    long t0 = System.nanoTime();
    OptionalDouble y;
    try (Checkpoint ckpt = Checkpoint.open(c.path())) {
      checkTensors(ckpt, c);
      y = progress.read(c);
    } catch (SafetensorsException | java.io.UncheckedIOException e) {
      reject(c, e.getMessage());
      return false;
    }
    // Second open: the checks above read every value, so what follows cannot fail on content,
    // and the running sum is never advanced for a step that is then aborted.
    boolean begun = false;
    try (Checkpoint ckpt = Checkpoint.open(c.path())) {
      sink.beginStep(c.step());
      begun = true;
      StepCommitted.Builder commit = StepCommitted.newBuilder()
          .setSchemaVersion(Topics.SCHEMA_VERSION)
          .setRunId(config.runId())
          .setStep(c.step())
          .setHasProgressValue(y.isPresent())
          .setProgressValue(y.orElse(0));
      long bytes = 0;
      int chunks = 0;
      for (TensorEntry t : base.tensors().values()) {
        float[] target = ckpt.floats(t.name());
        float[] w0 = base.floats(t.name()); // memory-mapped: one tensor in heap at a time
        for (int i = 0; i < target.length; i++) {
          target[i] -= w0[i];
        }
        float[] delta = new float[target.length];
        int bad = sum.advance(t.name(), target, delta, config.wire());
        if (bad >= 0) {
          throw new IllegalStateException(t.name() + " element " + bad + ": delta " + target[bad] + " overflows the wire dtype " + config.wire());
        }
        long[] frameBytes = {0};
        int n = chunker.split(new TensorRef(config.runId(), c.step(), t.name(), t.shape(), config.modules().isModelled(t)), FloatBuffer.wrap(delta), config.wire(), f -> {
          frameBytes[0] += f.bytes().length;
          sink.frame(f);
        });
        chunks += n;
        bytes += frameBytes[0];
        commit.addTensors(TensorDigest.newBuilder().setTensorName(t.name()).setChunkCount(n).setValuesCrc32C(ValuesCrc32c.of(delta)));
      }
      commit.setTensorCount(base.tensors().size()).setChunkCount(chunks).setCommittedUnixMs(System.currentTimeMillis());
      sink.commitStep(commit.build());
      lastStep = c.step();
      bytesOfDeltas += bytes;
      double seconds = (System.nanoTime() - t0) / 1e9;
      LOG.info("run {} step {}: {} frames, {} KiB in {} ms ({} MB/s), y={}", config.runId(), c.step(), chunks, bytes / 1024,
          Math.round(seconds * 1000), String.format("%.1f", bytes / 1e6 / Math.max(seconds, 1e-9)),
          y.isPresent() ? y.getAsDouble() : "none");
      return true;
    } catch (RuntimeException e) {
      if (begun) {
        sink.abortStep();
      }
      // The running sum may be part-advanced: only a restart (which rebuilds it from the log) is safe.
      throw new AgentStateException("run " + config.runId() + " step " + c.step() + " failed after it began; restart the agent to resume from step "
          + lastStep + ": " + e.getMessage(), e);
    }
  }

  private void reject(CheckpointDir c, String detail) {
    rejected.add(c.step());
    LOG.error("run {} step {}: checkpoint rejected: {}", config.runId(), c.step(), detail);
    sink.deadLetter(DeadLetter.newBuilder()
        .setSchemaVersion(Topics.SCHEMA_VERSION)
        .setReason(RejectReason.REJECT_REASON_BAD_CHECKPOINT)
        .setDetail(detail)
        .setSourceTopic("file:" + c.path().toAbsolutePath())
        .setRunId(config.runId())
        .setStep(c.step())
        .setRejectedUnixMs(System.currentTimeMillis())
        .build());
  }

  /** Files a model directory needs besides its weights; small enough to travel in the manifest. */
  public static final java.util.List<String> BASE_MODEL_FILES =
      java.util.List.of("config.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json");

  private static void addBaseModelFiles(RunManifest.Builder manifest, java.nio.file.Path dir) {
    for (String name : BASE_MODEL_FILES) {
      java.nio.file.Path f = dir.resolve(name);
      try {
        if (java.nio.file.Files.isRegularFile(f) && java.nio.file.Files.size(f) <= 64 * 1024) {
          manifest.putBaseModelFiles(name, com.google.protobuf.ByteString.copyFrom(java.nio.file.Files.readAllBytes(f)));
        }
      } catch (java.io.IOException e) {
        LOG.warn("cannot read {}; predicted models will lack it: {}", f, e.getMessage());
      }
    }
  }

  private void checkTensors(Checkpoint ckpt, CheckpointDir c) {
    for (TensorEntry t : base.tensors().values()) {
      TensorEntry found = ckpt.tensors().get(t.name());
      if (found == null) {
        throw new SafetensorsException(c.path() + ": has no tensor " + t.name() + " (the base has it)");
      }
      if (!found.shape().equals(t.shape())) {
        throw new SafetensorsException(c.path() + ": tensor " + t.name() + " has shape " + found.shape() + ", the base has " + t.shape());
      }
      float[] values = ckpt.floats(t.name());
      for (int i = 0; i < values.length; i++) {
        if (!Float.isFinite(values[i])) {
          throw new SafetensorsException(c.path() + ": tensor " + t.name() + " element " + i + " is " + values[i]);
        }
      }
    }
    for (String name : ckpt.tensors().keySet()) {
      if (!base.tensors().containsKey(name)) {
        throw new SafetensorsException(c.path() + ": has tensor " + name + ", which the base does not have");
      }
    }
  }

  private static DType toWire(io.alpharl.safetensors.DType d) {
    return switch (d) {
      case F32 -> DType.D_TYPE_F32;
      case BF16 -> DType.D_TYPE_BF16;
      case F16 -> DType.D_TYPE_F16;
    };
  }

  @Override
  public void close() {
    chunker.close();
    base.close();
  }
}
