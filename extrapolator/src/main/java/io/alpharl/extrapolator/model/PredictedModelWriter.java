package io.alpharl.extrapolator.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import io.alpharl.safetensors.BufferEntry;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.ModelFiles;
import io.alpharl.safetensors.ShardedCheckpointWriter;
import io.alpharl.safetensors.TensorEntry;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a predicted model as a Hugging Face model directory: {@code model.safetensors} (sharded
 * with an index when large) with the base model's tensor names and shapes, in the dtypes the run's
 * checkpoints store them in (the base's where the plan names none), its integer and boolean buffers
 * as the base holds them, every file of the base besides its weights ({@link ModelFiles}), and
 * {@code alpharl_prediction.json} (run, window, target, confidence, each module's predictor and the
 * gate's verdict). Tensors are computed one ahead of the writer ({@link AheadOfWriter}) where the
 * heap allows, so memory holds two at a time. Stateless.
 */
public final class PredictedModelWriter {
  public static final String METADATA_FILE = "alpharl_prediction.json";
  /**
   * The largest f32 value that rounds to a finite f16 one: half precision's largest is 65504, and
   * from 65520, half way to the next power of two, round-to-nearest-even gives infinity.
   */
  private static final float F16_MAX = Math.nextDown(65520f);
  /**
   * The largest f32 value that rounds to a finite bf16 one: from 0x7F7F8000, half way to infinity,
   * round-to-nearest-even gives infinity, where {@code Float.MAX_VALUE} let it through.
   */
  private static final float BF16_MAX = Math.nextDown(Float.intBitsToFloat(0x7F7F8000));
  /** Doubles in the JDK 19 algorithm on every JDK ({@link io.alpharl.proto.text.Decimals}): the same bytes from JDK 17 and 21 instances. */
  private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

  private PredictedModelWriter() {}

  /** Shard size of the Hugging Face default ({@code max_shard_size="5GB"}). */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  /** {@link #write(Path, Checkpoint, PredictionPlan, ExtrapolationBackend, long)} with the default shard size. */
  public static long write(Path dir, Checkpoint base, PredictionPlan plan, ExtrapolationBackend backend) throws IOException {
    return write(dir, base, plan, backend, DEFAULT_MAX_SHARD_BYTES);
  }

  /** One tensor of the predicted model, in f32: W_0 + D + L (see {@link PredictionPlan}). */
  private static float[] predicted(String name, Checkpoint base, PredictionPlan plan, ExtrapolationBackend backend) throws IOException {
    float[] w = base.floats(name);
    plan.roundBase(name, w);
    plan.sums().addTo(name, w);
    ModulePlan p = plan.predicted().get(name);
    if (p != null && p.plan().rank() > 0) {
      TensorEntry t = base.tensor(name);
      backend.lowRankUpdate(w, (int) (long) t.shape().get(0), (int) (long) t.shape().get(1), p.plan().x(), p.plan().v(), p.plan().rank(), w);
    }
    requireWritable(name, plan.dtypeOf(name, base.tensor(name).dtype()), w);
    return w;
  }

  /**
   * A file that is a link is copied only where it leads inside the model's own folder, or into its
   * repository's blobs in the Hugging Face cache ({@code models--org--name/snapshots/REV/config.json}
   * links to {@code ../../blobs/SHA}), so that the folder stays whole wherever it is copied;
   * elsewhere it is made again as a link to where it leads, never read. The folder is the
   * trainer's, and the extrapolator reads with its own rights: a link to its credentials, copied,
   * handed them to whoever reads the predicted model. Through a link a reader gets what its own
   * rights allow.
   *
   * @param modelDir the model's folder {@code from} lies in, or in a folder of ({@link ModelFiles#FOLDERS})
   */
  private static void copyModelFile(Path from, Path to, Path modelDir) throws IOException {
    Files.deleteIfExists(to); // a link or file from an earlier folder of modelFileDirs: the later one's replaces it
    if (!Files.isSymbolicLink(from)) {
      ModelFiles.requireCarried(from); // as the agent refuses to record it; the disk-room check counts the weights alone
      Files.copy(from, to, LinkOption.NOFOLLOW_LINKS);
      return;
    }
    Path real = from.toRealPath();
    Path dir = modelDir.toAbsolutePath().toRealPath();
    if ((real.startsWith(dir) || modelBlobs(dir).filter(real::startsWith).isPresent()) && Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      ModelFiles.requireCarried(real);
      Files.copy(real, to, LinkOption.NOFOLLOW_LINKS);
    } else {
      Files.createSymbolicLink(to, real);
    }
  }

  /** The model files of {@code folder} into {@code to}, made where there are any ({@code modelDir} as {@link #copyModelFile} takes it). */
  private static void copyModelFiles(Path folder, Path to, Path modelDir) throws IOException {
    List<Path> files = ModelFiles.of(folder);
    if (!files.isEmpty()) {
      Files.createDirectories(to);
    }
    for (Path f : files) {
      copyModelFile(f, to.resolve(f.getFileName()), modelDir);
    }
  }

  /** The chat template files ({@link ModelFiles#CHAT_TEMPLATE_FILES}, {@link ModelFiles#FOLDERS}) copied into {@code dir} so far. */
  private static void dropChatTemplateFiles(Path dir) throws IOException {
    for (String name : ModelFiles.CHAT_TEMPLATE_FILES) {
      Files.deleteIfExists(dir.resolve(name));
    }
    for (String folder : ModelFiles.FOLDERS) {
      for (Path f : ModelFiles.of(dir.resolve(folder))) {
        Files.delete(f);
      }
      Files.deleteIfExists(dir.resolve(folder)); // emptied: only copied model files were in it
    }
  }

  /** The blobs of the Hugging Face cache repository whose snapshot {@code dir} is ({@code models--X/snapshots/REV}), if it is one. */
  static java.util.Optional<Path> modelBlobs(Path dir) {
    Path snapshots = dir.getParent();
    Path repo = snapshots == null ? null : snapshots.getParent();
    boolean hub = repo != null && repo.getFileName() != null && snapshots.getFileName().toString().equals("snapshots")
        && repo.getFileName().toString().startsWith("models--");
    return hub ? java.util.Optional.of(repo.resolve("blobs")) : java.util.Optional.empty();
  }

  /**
   * The config a model is written with is the last of {@code modelFileDirs} to have one; where it
   * unties a head the base ties and does not store, the model would have none ({@link UntiedHeadException}).
   * Asked before anything is written: the refusal concerns files, not values.
   */
  private static void requireHeadKept(Checkpoint base, List<Path> modelFileDirs) {
    Path configDir = null;
    for (Path d : modelFileDirs) {
      if (Files.exists(d.resolve(ConfigDtype.FILE))) {
        configDir = d;
      }
    }
    if (configDir != null && Checkpoint.tiesWordEmbeddings(configDir).equals(java.util.Optional.of(false)) && !base.storesHead()
        && Checkpoint.tiesWordEmbeddings(base.dir()).orElse(false)) {
      throw new UntiedHeadException(configDir, base.dir());
    }
  }

  /**
   * Every value must be one the tensor's dtype holds: a plan with a non-finite coefficient (a
   * {@code fixed:} policy applies what the backtest would have refused) or an extrapolation past
   * half precision's range wrote NaN or infinity into a model that loads without a word.
   */
  private static void requireWritable(String name, DType dtype, float[] w) {
    float max = switch (dtype) {
      case F16 -> F16_MAX;
      case BF16 -> BF16_MAX;
      case F32 -> Float.MAX_VALUE;
    };
    for (int i = 0; i < w.length; i++) {
      if (!(Math.abs(w[i]) <= max)) {
        throw UnwritableModelException.of("predicted " + name + " element " + i + " is " + w[i] + (Float.isFinite(w[i]) ? ", beyond " + dtype
            + "'s range" : ""));
      }
    }
  }

  /**
   * @param maxShardBytes weights beyond this size are split into shards with an index, as the
   *     Hugging Face writer does
   * @return bytes of weights written
   */
  public static long write(Path dir, Checkpoint base, PredictionPlan plan, ExtrapolationBackend backend, long maxShardBytes) throws IOException {
    return write(dir, base, plan, backend, maxShardBytes, List.of(base.dir()));
  }

  /** The bytes of the weights {@link #write} writes from {@code base} under {@code plan}: each tensor in the dtype it is written in, and the buffers. */
  public static long weightBytes(Checkpoint base, PredictionPlan plan) {
    long bytes = 0;
    for (TensorEntry t : base.tensors().values()) {
      bytes += t.elementCount() * plan.dtypeOf(t.name(), t.dtype()).bytes();
    }
    for (String name : base.otherTensors().keySet()) {
      BufferEntry b = base.buffer(name);
      bytes += b.end() - b.begin();
    }
    return bytes;
  }

  /** The values of the modelled and carried tensors by the dtype each is written in (buffers keep the base's and are left out). */
  private static Map<DType, Long> writtenValuesByDtype(Checkpoint base, PredictionPlan plan) {
    Map<DType, Long> values = new java.util.EnumMap<>(DType.class);
    for (TensorEntry t : base.tensors().values()) {
      values.merge(plan.dtypeOf(t.name(), t.dtype()), t.elementCount(), Long::sum);
    }
    return values;
  }

  /**
   * As {@link #write(Path, Checkpoint, PredictionPlan, ExtrapolationBackend, long)}, with the files
   * besides the weights ({@link ModelFiles}) taken from {@code modelFileDirs} in turn, a later
   * folder's file replacing an earlier one's: the base's, then the window-end checkpoint's where a
   * reader has it, whose config names the dtype the weights are written in and whose tokenizer and
   * chat template are the ones the run trained with.
   */
  public static long write(Path dir, Checkpoint base, PredictionPlan plan, ExtrapolationBackend backend, long maxShardBytes, List<Path> modelFileDirs)
      throws IOException {
    requireHeadKept(base, modelFileDirs);
    Files.createDirectories(dir);
    ShardedCheckpointWriter writer = new ShardedCheckpointWriter(maxShardBytes, Map.of("format", "pt", "alpharl_run", plan.runId(),
        "alpharl_from_step", String.valueOf(plan.fromStep())));
    for (TensorEntry t : base.tensors().values()) {
      writer.add(t.name(), plan.dtypeOf(t.name(), t.dtype()), t.shape());
    }
    // Buffers (BERT's position_ids, masks): not trained, never streamed; the base's bytes, so that the folder
    // loads wherever the base does, strict state-dict loading included.
    for (String name : base.otherTensors().keySet()) {
      BufferEntry b = base.buffer(name);
      writer.addBytes(name, b.dtype(), b.shape(), base.bufferBytes(name));
    }
    List<String> order = base.tensors().values().stream().map(TensorEntry::name).toList();
    List<Path> files;
    // Half the heap for the tensor being written and the next one's computation: the rest holds the window's plan, where each
    // frame lies, and the frames being read.
    try (AheadOfWriter ahead = new AheadOfWriter(order, name -> base.tensor(name).elementCount(), Runtime.getRuntime().maxMemory() / 2,
        name -> predicted(name, base, plan, backend))) {
      files = writer.writeTo(dir, (name, sink) -> sink.put(FloatBuffer.wrap(ahead.take(name))));
    }
    for (Path from : modelFileDirs) {
      if (ModelFiles.holdsInlineChatTemplate(from)) {
        dropChatTemplateFiles(dir); // an earlier folder's: laid over this folder's tokenizer config, they replaced the template the run trained with
      }
      copyModelFiles(from, dir, from);
      for (String folder : ModelFiles.FOLDERS) {
        copyModelFiles(from.resolve(folder), dir.resolve(folder), from);
      }
    }
    ConfigDtype.name(dir, ConfigDtype.mostOf(writtenValuesByDtype(base, plan)));
    ObjectNode meta = JSON.createObjectNode();
    meta.put("run", plan.runId());
    meta.put("from_step", plan.fromStep());
    meta.putPOJO("window_steps", plan.windowSteps());
    meta.put("axis", plan.axis().name());
    meta.put("target", plan.target());
    meta.put("confidence", plan.confidence());
    meta.put("modules_predicted", plan.predicted().size());
    meta.put("carry_from_base", plan.carryFromBase());
    if (!plan.writtenWith().isEmpty()) {
      meta.put("written_with", plan.writtenWith());
    }
    // No backend here: the backends make the same fused multiply-adds, so the folder, this file included, is the
    // same bytes whichever instance wrote it (the extrapolator logs its backend at start-up).
    PredictionPlan.Verdict v = plan.verdict();
    meta.put("policy", v.policy());
    meta.put("gate", v.gate());
    meta.put("gate_reason", v.gateReason());
    meta.put("backtest_error", v.backtestError());
    meta.put("stop_backtest_error", v.stopBacktestError());
    if (Double.isFinite(v.signalTarget())) {
      // "target" is the planned step; the progress value the signal axis' predictors were aimed at is this one (a module's own
      // target=… in its spec, under "predictors", replaces it for that module).
      meta.put("signal_target", v.signalTarget());
    }
    ObjectNode modules = meta.putObject("predictors");
    new java.util.TreeMap<>(plan.predictors()).forEach(modules::put); // in name order, whatever map the plan holds
    JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve(METADATA_FILE).toFile(), meta);
    long bytes = 0;
    for (Path f : files) {
      if (f.getFileName().toString().endsWith(".safetensors")) {
        bytes += Files.size(f);
      }
    }
    return bytes;
  }
}
