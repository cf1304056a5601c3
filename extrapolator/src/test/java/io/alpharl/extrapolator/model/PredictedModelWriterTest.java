package io.alpharl.extrapolator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.extrapolator.backend.CpuExtrapolationBackend;
import io.alpharl.fit.predict.UpdatePlan;
import io.alpharl.proto.v1.ProgressAxis;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.HalfFloats;
import io.alpharl.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The written model, loaded back, against W_0 + x̂ v1ᵀ and W_0 + ΔW computed here in double precision. */
class PredictedModelWriterTest {
  @TempDir
  Path dir;

  @Test
  void writtenModelMatchesAnIndependentDenseComputation() throws Exception {
    Random r = new Random(4);
    // 512 x 512: at the backend's threshold for splitting rows over its threads, so the one-thread write below takes another path.
    int m = 512;
    int n = 512;
    float[] q = gaussian(r, m * n, 0.02);
    float[] up = gaussian(r, m * n, 0.02);
    float[] norm = gaussian(r, n, 1);
    Path baseDir = Files.createDirectories(dir.resolve("base"));
    new SafetensorsWriter(Map.of())
        .add("q_proj.weight", DType.F32, List.of((long) m, (long) n))
        .add("up_proj.weight", DType.BF16, List.of((long) m, (long) n))
        .add("norm.weight", DType.F32, List.of((long) n))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("q_proj.weight", q, "up_proj.weight", up, "norm.weight", norm));
    Files.writeString(baseDir.resolve("config.json"), "{\"model_type\":\"test\"}");
    float[] xHat = gaussian(r, m, 0.01);
    float[] v = gaussian(r, n, 0.2);
    float[] xUp = gaussian(r, 2 * m, 0.01); // two terms: a rank-2 plan
    float[] vUp = gaussian(r, 2 * n, 0.2);
    float[] upDelta = gaussian(r, m * n, 1e-3); // ΔW at the window's end: the plan adds its increment to it
    float[] normDelta = gaussian(r, n, 1e-3);
    Map<String, ModulePlan> predicted = Map.of(
        "q_proj.weight", new ModulePlan("q_proj.weight", "alpharl", new UpdatePlan("alpharl", new double[3], 1, xHat, v), 0.1, 0.2),
        "up_proj.weight", new ModulePlan("up_proj.weight", "rank-k-increment", new UpdatePlan("rank-k-increment", new double[] {0, 0, 1}, 2, xUp, vUp),
            0.1, 0.2));
    PredictionPlan plan = new PredictionPlan("run", 80, new long[] {5, 10, 80}, ProgressAxis.PROGRESS_AXIS_STEP, 200, 0.9, predicted, false,
        CarriedDeltas.of(Map.of("norm.weight", normDelta, "up_proj.weight", upDelta)),
        Map.of("q_proj.weight", "alpharl", "up_proj.weight", "rank-k-increment"), PredictionPlan.Verdict.NONE, Map.of());

    Path out = dir.resolve("pred");
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(2)) {
      PredictedModelWriter.write(out, base, plan, backend, 5000); // small shards: the model is written in three
    }
    assertThat(out.resolve(Checkpoint.INDEX_FILE)).as("sharded like a large Hugging Face model").exists();

    try (Checkpoint written = Checkpoint.open(out)) {
      assertThat(written.tensor("q_proj.weight").dtype()).isEqualTo(DType.F32);
      assertThat(written.tensor("up_proj.weight").dtype()).as("dtype of the base is kept").isEqualTo(DType.BF16);
      float[] gotQ = written.floats("q_proj.weight");
      float[] gotUp = written.floats("up_proj.weight");
      float[] baseUp = new float[up.length];
      for (int i = 0; i < up.length; i++) {
        baseUp[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(up[i])); // what the bf16 base file holds
      }
      List<String> off = new java.util.ArrayList<>(); // checked value by value, reported once (a quarter of a million of each)
      for (int i = 0; i < m; i++) {
        for (int k = 0; k < n; k++) {
          double exact = (double) q[i * n + k] + (double) xHat[i] * v[k];
          if (!(Math.abs(gotQ[i * n + k] - exact) <= Math.ulp((float) exact))) {
            off.add("q_proj [" + i + ", " + k + "] " + gotQ[i * n + k] + " against " + exact);
          }
          double exactUp = (double) (baseUp[i * n + k] + upDelta[i * n + k]) + (double) xUp[i] * vUp[k] + (double) xUp[m + i] * vUp[n + k];
          float bf16 = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16((float) exactUp));
          // Rounded to nearest: within half a bf16 spacing of the f32 sum, itself within a few f32 ulps of the exact value. One whole
          // spacing (the bound before) passed truncation and a neighbour one step off.
          double halfSpacing = Math.ulp(bf16) * 65536 / 2;
          if (!(Math.abs(gotUp[i * n + k] - exactUp) <= halfSpacing + 4 * Math.ulp((float) exactUp))) {
            off.add("up_proj [" + i + ", " + k + "] " + gotUp[i * n + k] + " against " + exactUp + " (bf16 rounding " + bf16 + ")");
          }
        }
      }
      assertThat(off).as("values off the dense computation (q_proj within an f32 ulp, up_proj rounded to the nearest bf16)").isEmpty();
      float[] gotNorm = written.floats("norm.weight");
      for (int k = 0; k < n; k++) {
        assertThat(gotNorm[k]).isEqualTo(norm[k] + normDelta[k]);
      }
    }
    JsonNode meta = new ObjectMapper().readTree(out.resolve(PredictedModelWriter.METADATA_FILE).toFile());
    assertThat(meta.get("from_step").asLong()).isEqualTo(80);
    assertThat(meta.get("predictors").get("up_proj.weight").asText()).isEqualTo("rank-k-increment");
    assertThat(out.resolve("config.json")).hasContent("{\"model_type\":\"test\"}");

    // The folder is a function of the plan and the base alone: an instance with other cores (or a GPU,
    // whose kernel makes the same fused multiply-adds) writes the same bytes, its metadata included.
    Path other = dir.resolve("pred-one-thread");
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(other, base, plan, backend, 5000);
    }
    try (java.util.stream.Stream<Path> files = Files.list(out)) {
      for (Path f : files.toList()) {
        assertThat(Files.readAllBytes(other.resolve(f.getFileName()))).as("%s written on one thread", f.getFileName()).isEqualTo(Files.readAllBytes(f));
      }
    }
  }

  /**
   * A link in the trainer's base folder is written as a link to where it leads, not read through
   * with the extrapolator's rights (a link to its credentials, copied, reached the trainer); a
   * plain file is copied, and a later folder's file replaces an earlier folder's link.
   */
  @Test
  void aLinkedModelFileIsWrittenAsALinkNotReadThrough() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("base"));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.F32, List.of(4L))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("norm.weight", new float[] {1, 2, 3, 4}));
    Path secret = Files.writeString(dir.resolve("extrapolator.properties"), "sasl.jaas.config=secret");
    Files.createSymbolicLink(baseDir.resolve("notes.txt"), Path.of("..", "extrapolator.properties"));
    Files.createSymbolicLink(baseDir.resolve("tokenizer.json"), secret);
    Files.writeString(baseDir.resolve("config.json"), "{}");
    Path windowEnd = Files.createDirectories(dir.resolve("checkpoint-80"));
    Files.writeString(windowEnd.resolve("tokenizer.json"), "{\"version\":\"1.0\"}");
    PredictionPlan plan = new PredictionPlan("run", 80, new long[] {5, 10, 80}, ProgressAxis.PROGRESS_AXIS_STEP, 200, 0.9, Map.of(), false,
        CarriedDeltas.of(Map.of()), Map.of(), PredictionPlan.Verdict.NONE, Map.of());

    Path out = dir.resolve("pred");
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(out, base, plan, backend, 1 << 20, List.of(baseDir, windowEnd));
    }
    assertThat(Files.isSymbolicLink(out.resolve("notes.txt"))).isTrue();
    assertThat(Files.readSymbolicLink(out.resolve("notes.txt"))).isEqualTo(secret.toRealPath());
    assertThat(Files.isSymbolicLink(out.resolve("config.json"))).isFalse();
    assertThat(out.resolve("config.json")).hasContent("{}");
    assertThat(Files.isSymbolicLink(out.resolve("tokenizer.json"))).as("the window end's file replaces the base's link").isFalse();
    assertThat(out.resolve("tokenizer.json")).hasContent("{\"version\":\"1.0\"}");
    assertThat(secret).as("the link's target is untouched").hasContent("sasl.jaas.config=secret");
  }

  /**
   * A file beside the weights larger than a model's files are (a dataset or an archive beside a
   * single-file base) is refused in the error, as the agent refuses to record it: it was copied into
   * every predicted model. A sparse file: nothing is written to make it.
   */
  @Test
  void aFileBesideTheWeightsOverTheLimitIsRefused() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("base"));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.F32, List.of(4L))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("norm.weight", new float[] {1, 2, 3, 4}));
    try (java.io.RandomAccessFile big = new java.io.RandomAccessFile(baseDir.resolve("data.tar").toFile(), "rw")) {
      big.setLength(io.alpharl.safetensors.ModelFiles.MAX_BYTES + 1);
    }
    PredictionPlan plan = new PredictionPlan("run", 80, new long[] {5, 10, 80}, ProgressAxis.PROGRESS_AXIS_STEP, 200, 0.9, Map.of(), false,
        CarriedDeltas.of(Map.of()), Map.of(), PredictionPlan.Verdict.NONE, Map.of());
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> PredictedModelWriter.write(dir.resolve("pred"), base, plan, backend, 1 << 20))
          .hasMessageContaining("data.tar is " + (io.alpharl.safetensors.ModelFiles.MAX_BYTES + 1) + " bytes");
    }
  }

  /**
   * A snapshot of the Hugging Face cache links every file into its repository's blobs: those are
   * copied, so that the predicted folder is whole wherever it goes; a link out of the repository is
   * still written as a link.
   */
  @Test
  void aSnapshotsLinksIntoItsRepositoryAreCopied() throws Exception {
    Path repo = Files.createDirectories(dir.resolve("hub").resolve("models--org--tiny"));
    Path blobs = Files.createDirectories(repo.resolve("blobs"));
    Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve("rev1"));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.F32, List.of(4L)).writeTo(blobs.resolve("w"), Map.of("norm.weight",
        new float[] {1, 2, 3, 4}));
    Files.writeString(blobs.resolve("c"), "{\"model_type\":\"tiny\"}");
    Files.createSymbolicLink(snapshot.resolve(Checkpoint.SINGLE_FILE), Path.of("..", "..", "blobs", "w"));
    Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("..", "..", "blobs", "c"));
    Path outside = Files.writeString(dir.resolve("hub").resolve("elsewhere.txt"), "not the model's");
    Files.createSymbolicLink(snapshot.resolve("notes.txt"), outside);
    Files.writeString(blobs.resolve("t"), "{{ tools }}");
    Files.createSymbolicLink(Files.createDirectories(snapshot.resolve("additional_chat_templates")).resolve("tool_use.jinja"),
        Path.of("..", "..", "..", "blobs", "t"));
    PredictionPlan plan = new PredictionPlan("run", 80, new long[] {5, 10, 80}, ProgressAxis.PROGRESS_AXIS_STEP, 200, 0.9, Map.of(), false,
        CarriedDeltas.of(Map.of()), Map.of(), PredictionPlan.Verdict.NONE, Map.of());

    Path out = dir.resolve("pred");
    try (Checkpoint base = Checkpoint.open(snapshot); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(out, base, plan, backend, 1 << 20);
    }
    assertThat(Files.isSymbolicLink(out.resolve("config.json"))).isFalse();
    assertThat(out.resolve("config.json")).hasContent("{\"model_type\":\"tiny\"}");
    assertThat(Files.readSymbolicLink(out.resolve("notes.txt"))).isEqualTo(outside.toRealPath());
    Path template = out.resolve("additional_chat_templates").resolve("tool_use.jinja");
    assertThat(Files.isSymbolicLink(template)).as("a template folder's link into the cache, copied as the config is").isFalse();
    assertThat(template).hasContent("{{ tools }}");
    assertThat(PredictedModelWriter.modelBlobs(snapshot)).hasValue(repo.resolve("blobs"));
    assertThat(PredictedModelWriter.modelBlobs(dir.resolve("shared").resolve("snapshots").resolve("r"))).as("not a cache repository").isEmpty();
  }

  /**
   * A trainer that loads a bf16 base in f32 saves f32 checkpoints, and its updates are mostly below
   * bf16's spacing: written in the base's dtype, W_0 + ΔW came back as W_0 (0.02 + 3e-5 rounds to
   * bf16's 0.02). The plan names the checkpoints' dtype, and the tensor is written in it.
   */
  @Test
  void aTensorIsWrittenInTheDtypeTheRunsCheckpointsStoreIt() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("bf16-base"));
    float w0 = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(0.02f));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.BF16, List.of(2L)).add("bias", DType.BF16, List.of(2L))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("norm.weight", new float[] {w0, w0}, "bias", new float[] {w0, w0}));
    float[] delta = {3e-5f, -1e-5f};
    PredictionPlan plan = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, Map.of(), false,
        CarriedDeltas.of(Map.of("norm.weight", delta.clone(), "bias", delta.clone())), Map.of(), PredictionPlan.Verdict.NONE,
        Map.of("norm.weight", DType.F32));
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(dir.resolve("out"), base, plan, backend);
      // The room asked for before a write: 2 f32 values and 2 bf16 ones, the file less its header.
      long header = 8 + java.nio.ByteBuffer.wrap(Files.readAllBytes(dir.resolve("out").resolve(Checkpoint.SINGLE_FILE)), 0, 8)
          .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
      assertThat(PredictedModelWriter.weightBytes(base, plan)).isEqualTo(2 * 4 + 2 * 2)
          .isEqualTo(Files.size(dir.resolve("out").resolve(Checkpoint.SINGLE_FILE)) - header);
    }
    try (Checkpoint written = Checkpoint.open(dir.resolve("out"))) {
      assertThat(written.tensor("norm.weight").dtype()).isEqualTo(DType.F32);
      assertThat(written.floats("norm.weight")).containsExactly(w0 + delta[0], w0 + delta[1]);
      assertThat(written.tensor("bias").dtype()).as("no dtype named: the base's").isEqualTo(DType.BF16);
      assertThat(written.floats("bias")).as("what bf16 keeps of it").containsExactly(w0, w0);
    }
  }

  /**
   * A trainer that loads an f32 base as bf16 starts from bf16(W_0), and the agent takes the updates
   * against it. Added to W_0 as stored, a carried value came back one bf16 spacing off wherever W_0
   * lay on a tie (1 + 2⁻⁸ rounds to 1, and 1 + 2⁻⁸ + 2⁻⁷ to 1 + 2⁻⁶, not to the checkpoint's 1 + 2⁻⁷).
   */
  @Test
  void aBaseTheRunTookRoundedIsRoundedTheSameBeforeTheUpdate() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("f32-base"));
    float[] w0 = {1f + 0x1p-8f, 0.1f};
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.F32, List.of(2L)).writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("norm.weight", w0));
    float[] wt = {1f + 0x1p-7f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(0.1f))}; // the window end's checkpoint, bf16
    float[] delta = {wt[0] - 1f, 0f}; // W_t − bf16(W_0), as the agent sent it
    PredictionPlan plan = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, Map.of(), false,
        CarriedDeltas.of(Map.of("norm.weight", delta)), Map.of(), PredictionPlan.Verdict.NONE, Map.of("norm.weight", DType.BF16))
        .withBaseRoundedTo(Map.of("norm.weight", DType.BF16));
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(dir.resolve("out"), base, plan, backend);
    }
    try (Checkpoint written = Checkpoint.open(dir.resolve("out"))) {
      assertThat(written.tensor("norm.weight").dtype()).isEqualTo(DType.BF16);
      assertThat(written.floats("norm.weight")).as("the checkpoint's values, bit for bit").containsExactly(wt);
    }
  }

  private static float[] gaussian(Random r, int n, double scale) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (r.nextGaussian() * scale);
    }
    return out;
  }

  /** A value the tensor's dtype cannot hold is refused, never written as NaN or infinity into a model that loads without a word. */
  @Test
  void aPredictionWithAValueTheDtypeCannotHoldIsNotWritten() throws Exception {
    checkRefused(DType.F16, List.of(new float[] {Float.NaN, 0}, new float[] {1e5f, 0}));
    // From 0x7F7F8000 on an f32 value rounds to bf16's infinity, though below Float.MAX_VALUE.
    checkRefused(DType.BF16, List.of(new float[] {Float.NaN, 0}, new float[] {Float.intBitsToFloat(0x7F7F8000), 0}));
  }

  /** f16 holds everything below 65520 (which rounds to 65504); the writer refused from 65504 on. */
  @Test
  void aValueThatRoundsToHalfPrecisionsLargestIsWritten() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("f16-base"));
    new SafetensorsWriter(Map.of()).add("q_proj.weight", DType.F16, List.of(2L, 2L))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("q_proj.weight", new float[] {0, 2, 3, 4}));
    Map<String, ModulePlan> predicted = Map.of("q_proj.weight", new ModulePlan("q_proj.weight", "alpharl",
        new UpdatePlan("alpharl", new double[2], 1, new float[] {65519f, 0}, new float[] {1, 0}), 0.1, 0.2));
    PredictionPlan plan = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, predicted, true,
        CarriedDeltas.NONE, Map.of("q_proj.weight", "alpharl"), PredictionPlan.Verdict.NONE, Map.of());
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(dir.resolve("out"), base, plan, backend);
    }
    try (Checkpoint written = Checkpoint.open(dir.resolve("out"))) {
      assertThat(written.floats("q_proj.weight")[0]).isEqualTo(65504f);
    }
  }

  /** Named chat templates live in a folder of their own, which was left behind: a predicted model lost its tool_use template. */
  @Test
  void namedChatTemplatesAreCopiedInTheirFolder() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("templated-base"));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.F32, List.of(2L)).writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE),
        Map.of("norm.weight", new float[] {1, 2}));
    Files.writeString(Files.createDirectories(baseDir.resolve("additional_chat_templates")).resolve("tool_use.jinja"), "{{ tools }}");
    Files.createDirectories(baseDir.resolve("global_step5")).resolve("state.pt").toFile().createNewFile();
    PredictionPlan plan = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, Map.of(), false,
        CarriedDeltas.NONE, Map.of(), PredictionPlan.Verdict.NONE, Map.of());
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(dir.resolve("out"), base, plan, backend);
    }
    assertThat(dir.resolve("out").resolve("additional_chat_templates").resolve("tool_use.jinja")).hasContent("{{ tools }}");
    assertThat(dir.resolve("out").resolve("global_step5")).as("a checkpoint's training state").doesNotExist();
  }

  /**
   * {@code predict} lays the window end's files over the base's. A base saved by a newer
   * transformers keeps its template in {@code chat_template.jinja}, which a tokenizer loads over the
   * one a trainer on an older transformers saved inside {@code tokenizer_config.json}: the predicted
   * model chatted in the base's template, not the run's. Where a later folder's tokenizer config
   * holds a template, the earlier folders' template files are not carried.
   */
  @Test
  void aTemplateInTheWindowEndsTokenizerConfigIsNotOverriddenByTheBasesFile() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("jinja-base"));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.F32, List.of(2L)).writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE),
        Map.of("norm.weight", new float[] {1, 2}));
    Files.writeString(baseDir.resolve("chat_template.jinja"), "{{ base }}");
    Files.writeString(Files.createDirectories(baseDir.resolve("additional_chat_templates")).resolve("tool_use.jinja"), "{{ tools }}");
    Path inline = folderWith("inline-end", "tokenizer_config.json", "{\"chat_template\": \"{{ run }}\"}");
    Path plain = folderWith("plain-end", "tokenizer_config.json", "{\"model_max_length\": 512}");
    PredictionPlan plan = carryingAll();
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(dir.resolve("out"), base, plan, backend, PredictedModelWriter.DEFAULT_MAX_SHARD_BYTES, List.of(baseDir, inline));
      PredictedModelWriter.write(dir.resolve("out-plain"), base, plan, backend, PredictedModelWriter.DEFAULT_MAX_SHARD_BYTES,
          List.of(baseDir, plain));
    }
    assertThat(dir.resolve("out").resolve("tokenizer_config.json")).hasContent("{\"chat_template\": \"{{ run }}\"}");
    assertThat(dir.resolve("out").resolve("chat_template.jinja")).doesNotExist();
    assertThat(dir.resolve("out").resolve("additional_chat_templates")).doesNotExist();
    assertThat(dir.resolve("out-plain").resolve("chat_template.jinja")).as("no template of its own: the base's stays").hasContent("{{ base }}");
    assertThat(dir.resolve("out-plain").resolve("additional_chat_templates").resolve("tool_use.jinja")).hasContent("{{ tools }}");
  }

  /**
   * A window end whose config unties the head from a base that ties it and stores none: the run
   * streamed no head (the agent sends the base's tensors), so the model written with that config
   * loaded with a randomly initialised {@code lm_head}, said only by transformers' load-time warning.
   */
  @Test
  void aWindowEndThatUntiesAHeadTheBaseDoesNotStoreIsRefused() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("tied-base"));
    new SafetensorsWriter(Map.of()).add("model.embed_tokens.weight", DType.F32, List.of(2L, 2L)).writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE),
        Map.of("model.embed_tokens.weight", new float[] {1, 2, 3, 4}));
    Files.writeString(baseDir.resolve("config.json"), "{\"model_type\": \"qwen2\"}");
    Path untied = folderWith("untied-end", "config.json", "{\"model_type\": \"qwen2\", \"tie_word_embeddings\": false}");
    Path tied = folderWith("tied-end", "config.json", "{\"model_type\": \"qwen2\", \"tie_word_embeddings\": true}");
    PredictionPlan plan = carryingAll();
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      assertThatThrownBy(() -> PredictedModelWriter.write(dir.resolve("out"), base, plan, backend, PredictedModelWriter.DEFAULT_MAX_SHARD_BYTES,
          List.of(baseDir, untied))).isInstanceOf(UntiedHeadException.class).hasMessageContaining("tie_word_embeddings false")
          .hasMessageContaining("random");
      assertThat(dir.resolve("out")).as("refused before anything is written").doesNotExist();
      PredictedModelWriter.write(dir.resolve("out-tied"), base, plan, backend, PredictedModelWriter.DEFAULT_MAX_SHARD_BYTES, List.of(baseDir, tied));
    }
    assertThat(dir.resolve("out-tied").resolve("config.json")).content().contains("\"tie_word_embeddings\": true");
  }

  /**
   * The live extrapolator copies the base's config: a bf16 base trained in f32 was written in f32
   * under a config naming bfloat16, which transformers' and vLLM's dtype "auto" read first, loading
   * it in bf16 and rounding the run's small updates away. The config names the written dtype; the
   * rest of it stays the user's bytes, and a config linked from outside the folder is not written through.
   */
  @Test
  void theConfigNamesTheDtypeTheWeightsAreWrittenIn() throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve("bf16-base"));
    new SafetensorsWriter(Map.of()).add("norm.weight", DType.BF16, List.of(2L)).add("bias", DType.BF16, List.of(1L))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("norm.weight", new float[] {1, 2}, "bias", new float[] {3}));
    String config = "{\n  \"model_type\": \"test\",\n  \"text_config\": {\"dtype\":\"bfloat16\"},\n  \"torch_dtype\":  \"bfloat16\",\n"
        + "  \"note\": \"bfloat16\"\n}\n";
    Path outside = Files.writeString(dir.resolve("shared-config.json"), config);
    Files.createSymbolicLink(baseDir.resolve("config.json"), outside);
    PredictionPlan f32 = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, Map.of(), false,
        CarriedDeltas.NONE, Map.of(), PredictionPlan.Verdict.NONE, Map.of("norm.weight", DType.F32));
    PredictionPlan same = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, Map.of(), false,
        CarriedDeltas.NONE, Map.of(), PredictionPlan.Verdict.NONE, Map.of("bias", DType.F32));
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      PredictedModelWriter.write(dir.resolve("out"), base, f32, backend);
      PredictedModelWriter.write(dir.resolve("out-same"), base, same, backend);
    }
    assertThat(dir.resolve("out").resolve("config.json")).hasContent(config.replace("\"bfloat16\"},", "\"float32\"},")
        .replace("\"torch_dtype\":  \"bfloat16\"", "\"torch_dtype\":  \"float32\""));
    assertThat(outside).as("the base's config, linked").hasContent(config);
    assertThat(dir.resolve("out-same").resolve("config.json")).as("most values still bf16").hasContent(config);
  }

  /** A folder of one model file, as a window-end checkpoint's files besides its weights. */
  private Path folderWith(String folder, String file, String content) throws java.io.IOException {
    return Files.writeString(Files.createDirectories(dir.resolve(folder)).resolve(file), content).getParent();
  }

  /** A plan that predicts nothing: every tensor is written as the base holds it, the files beside the weights copied. */
  private static PredictionPlan carryingAll() {
    return new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, Map.of(), false, CarriedDeltas.NONE,
        Map.of(), PredictionPlan.Verdict.NONE, Map.of());
  }

  private void checkRefused(DType dtype, List<float[]> updates) throws Exception {
    Path baseDir = Files.createDirectories(dir.resolve(dtype + "-base"));
    new SafetensorsWriter(Map.of()).add("q_proj.weight", dtype, List.of(2L, 2L))
        .writeTo(baseDir.resolve(Checkpoint.SINGLE_FILE), Map.of("q_proj.weight", new float[] {0, 2, 3, 4}));
    try (Checkpoint base = Checkpoint.open(baseDir); CpuExtrapolationBackend backend = new CpuExtrapolationBackend(1)) {
      for (float[] x : updates) {
        Map<String, ModulePlan> predicted = Map.of("q_proj.weight", new ModulePlan("q_proj.weight", "alpharl",
            new UpdatePlan("alpharl", new double[2], 1, x, new float[] {1, 0}), 0.1, 0.2));
        PredictionPlan plan = new PredictionPlan("run", 10, new long[] {5, 10}, ProgressAxis.PROGRESS_AXIS_STEP, 20, 0.9, predicted, true,
            CarriedDeltas.NONE, Map.of("q_proj.weight", "alpharl"), PredictionPlan.Verdict.NONE, Map.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PredictedModelWriter.write(dir.resolve("out"), base, plan, backend))
            .hasMessageContaining("predicted q_proj.weight element 0").hasMessageContaining("no model is written");
      }
    }
  }
}
