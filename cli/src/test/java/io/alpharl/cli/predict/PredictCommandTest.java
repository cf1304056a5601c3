package io.alpharl.cli.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.alpharl.cli.AlphaRl;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alpharl predict --predictor auto} on a run whose checkpoints are named like a BERT
 * (Hugging Face {@code encoder.layer.N.…}): its block matrices are found and extrapolated. Each
 * moving matrix's update is ΔW_t = (t/100)·A, so by hand the final weights at the planned step 100
 * are W_0 + A; the whole-update trend reproduces that exactly and the backtest must choose it over
 * stopping. A frozen matrix (ΔW = 0) is carried, tensors outside the blocks keep their window-end
 * value, and the model folder says the gate passed.
 */
class PredictCommandTest {
  private static final int H = 8;
  private static final String LAYER = "encoder.layer.0.";
  private static final Map<String, long[]> MATRICES = new LinkedHashMap<>();
  private static final String FROZEN = LAYER + "attention.self.key.weight";
  private static final String EMBEDDINGS = "embeddings.word_embeddings.weight";
  private static final String NORM = LAYER + "attention.output.LayerNorm.weight";
  /** 1-D, values that move far against their size: W_0 + (W_k − W_0) in f32 is not W_k for them. */
  private static final String FAR_MOVING = LAYER + "output.LayerNorm.bias";
  private static final float[] FAR_MOVING_BASE = {3f, -2f, 0.7f, 5f};
  /** An integer buffer, as older BERT saves keep. */
  private static final String POSITION_IDS = "embeddings.position_ids";
  /** Matrices inside a numbered block that the default rule carries by their names alone. */
  private static final Map<String, long[]> CARRIED_BY_NAME = Map.of("model.layers.0.score.weight", new long[] {2, H},
      "model.layers.0.embed_positions.weight", new long[] {30, H});

  static {
    MATRICES.put(LAYER + "attention.self.query.weight", new long[] {H, H});
    MATRICES.put(FROZEN, new long[] {H, H});
    MATRICES.put(LAYER + "attention.self.value.weight", new long[] {H, H});
    MATRICES.put(LAYER + "attention.output.dense.weight", new long[] {H, H});
    MATRICES.put(LAYER + "intermediate.dense.weight", new long[] {2 * H, H});
    MATRICES.put(LAYER + "output.dense.weight", new long[] {H, 2 * H});
  }

  @TempDir
  Path work;

  @Test
  void autoExtrapolatesTheBlockMatricesOfABertNamedRun() throws Exception {
    Path run = work.resolve("bert-run");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    Path out = work.resolve("predicted");

    int code = AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--predictor", "auto", "--out", out.toString());

    assertThat(code).isZero();
    JsonNode meta = new ObjectMapper().readTree(out.resolve("alpharl_prediction.json").toFile());
    assertThat(meta.get("gate").asText()).as(meta.get("gate_reason").asText()).isEqualTo("passing");
    assertThat(meta.get("modules_predicted").asInt()).as("every moving block matrix").isEqualTo(5);
    assertThat(meta.get("predictors").size()).as("every block matrix is modelled").isEqualTo(6);
    assertThat(meta.get("predictors").get(FROZEN).asText()).isEqualTo("stop");
    assertThat(meta.get("backtest_error").asDouble()).as("an exact line, up to f32 rounding").isLessThan(1e-6);
    // "target" is the planned step; the progress the signal axis aims at is the trend 0.2 + 0.004 t at step 100, by hand.
    assertThat(meta.get("target").asDouble()).isEqualTo(100);
    assertThat(meta.get("signal_target").asDouble()).isCloseTo(0.6, org.assertj.core.api.Assertions.within(1e-9));
    try (Checkpoint predicted = Checkpoint.open(out)) {
      for (String name : MATRICES.keySet()) {
        float[] got = predicted.floats(name);
        float[] w0 = base.get(name);
        float[] a = direction.get(name);
        for (int i = 0; i < got.length; i++) {
          // f32 checkpoints and an f32 sum of the window's deltas, scaled: a few f32 ulps of values about 0.05 (4e-9 each), where a
          // coefficient 0.1 % off (the target 99.9 for 100) is 1e-5 away.
          assertThat((double) got[i]).as("%s[%d]", name, i).isCloseTo(w0[i] + a[i], within(1e-7));
        }
      }
      assertThat(predicted.floats(FROZEN)).containsExactly(base.get(FROZEN));
      assertThat(predicted.floats(EMBEDDINGS)).as("outside the blocks: the window-end value").containsExactly(valueAt(50, base, direction, EMBEDDINGS));
      assertThat(predicted.floats(NORM)).as("1-D: the window-end value").containsExactly(valueAt(50, base, direction, NORM));
      // Bit for bit: rebuilt as W_0 + (W_50 − W_0) in f32 it was 4.77e-7 where the checkpoint holds 5e-7.
      assertThat(predicted.floats(FAR_MOVING)).as("carried: the window-end checkpoint's bits").containsExactly(valueAt(50, base, direction, FAR_MOVING));
      assertThat(predicted.otherTensors()).as("the buffer is kept").containsExactly(Map.entry(POSITION_IDS, "I64"));
      assertThat(predicted.buffer(POSITION_IDS).shape()).containsExactly(1L, 4L);
      assertThat(predicted.bufferBytes(POSITION_IDS)).isEqualTo(positionIds());
    }
  }

  /**
   * A trainer that loads a bf16 base in f32 saves f32 checkpoints: the model is written as they
   * store it. Written in the base's bf16 it lost the update below bf16's spacing, and a carried
   * tensor was not the window-end checkpoint's value.
   */
  @Test
  void theModelIsWrittenInTheDtypeOfTheRunsCheckpointsNotTheBases() throws Exception {
    Path run = work.resolve("bert-run-bf16-base");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    writeCheckpoint(run.resolve("checkpoint-0"), 0, base, direction, DType.BF16);
    Path out = work.resolve("predicted-f32");

    assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--out", out.toString())).isZero();
    try (Checkpoint predicted = Checkpoint.open(out); Checkpoint w0 = Checkpoint.open(run.resolve("checkpoint-0"))) {
      assertThat(w0.tensor(EMBEDDINGS).dtype()).isEqualTo(DType.BF16);
      for (String name : w0.tensors().keySet()) {
        assertThat(predicted.tensor(name).dtype()).as(name).isEqualTo(DType.F32);
      }
      assertThat(predicted.floats(EMBEDDINGS)).as("carried: the window-end checkpoint's value").containsExactly(valueAt(50, base, direction, EMBEDDINGS));
    }
  }

  /**
   * A trainer that loads an f32 base as bf16 starts from bf16(W_0): against W_0 as stored, a frozen
   * matrix had the update bf16(W_0) − W_0 at every step, constant and full-rank, and was fitted as
   * one. As the agent does, W_0 is rounded to the checkpoints' dtype first: the frozen matrix's
   * update is zero and it is carried, as the window-end checkpoint's bits.
   */
  @Test
  void anF32BaseTheRunLoadedAsBf16IsRoundedBeforeTheUpdatesAreTaken() throws Exception {
    Path run = work.resolve("bert-run-f32-base");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    for (int step = 5; step <= 50; step += 5) {
      writeCheckpoint(run.resolve("checkpoint-" + step), step, base, direction, DType.BF16);
    }
    Path out = work.resolve("predicted-rounded");

    // Scaled 5-fold (step 20 to 100), the rounding taken for an update moved the frozen matrix by up to two bf16 spacings.
    assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "20", "--predictor", "fixed:whole-scale", "--out",
        out.toString())).isZero();
    try (Checkpoint predicted = Checkpoint.open(out); Checkpoint w20 = Checkpoint.open(run.resolve("checkpoint-20"))) {
      assertThat(predicted.tensor(FROZEN).dtype()).isEqualTo(DType.BF16);
      assertThat(predicted.floats(FROZEN)).as("frozen: bf16(W_0), the checkpoints' bits").containsExactly(w20.floats(FROZEN));
    }
  }

  /**
   * The files besides the weights come from the window-end checkpoint where it has them, the base's
   * otherwise: a chat template changed during the run (or a config naming the checkpoints' dtype)
   * shipped as the base's, so the predicted model generated otherwise than the checkpoint it extends.
   */
  @Test
  void theModelFilesAreTheWindowEndCheckpointsOverTheBases() throws Exception {
    Path run = work.resolve("bert-run-files");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    Files.writeString(run.resolve("checkpoint-0").resolve("tokenizer_config.json"), "{\"chat_template\": \"base\"}");
    Files.writeString(run.resolve("checkpoint-0").resolve("vocab.txt"), "the base's vocabulary");
    Files.writeString(run.resolve("checkpoint-50").resolve("tokenizer_config.json"), "{\"chat_template\": \"trained\"}");
    Path out = work.resolve("predicted-files");

    assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--out", out.toString())).isZero();
    assertThat(out.resolve("tokenizer_config.json")).hasContent("{\"chat_template\": \"trained\"}");
    assertThat(out.resolve("vocab.txt")).as("only the base has it").hasContent("the base's vocabulary");
    assertThat(out.resolve("trainer_state.json")).as("training state is not the model's").doesNotExist();
  }

  /** A NaN in a tensor copied through from the window's end (a norm) is the checkpoint's error, found before anything is written. */
  @Test
  void aNonFiniteValueInACopiedTensorIsAOneLineErrorNamingTheCheckpoint() throws Exception {
    Path run = work.resolve("bert-run-nan-norm");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    Path ckpt = run.resolve("checkpoint-50");
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    Map<String, float[]> values = tensorsInto(ckpt, writer);
    values.get(NORM)[0] = Float.NaN;
    writer.writeTo(ckpt.resolve("model.safetensors"), values);
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    Path out = work.resolve("nan-out");

    assertThat(cli.execute("predict", run.toString(), "--window-step", "50", "--out", out.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("checkpoint-50").contains(NORM + " element 0 is NaN");
    assertThat(out).doesNotExist();
  }

  /** Folders named with zero-padded steps, which the scan takes: the fit read them, and the write looked for checkpoint-50. */
  @Test
  void zeroPaddedFolderNamesArePredictedFrom() throws Exception {
    Path run = work.resolve("bert-run-padded");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    for (int step = 0; step <= 50; step += 5) {
      Files.move(run.resolve("checkpoint-" + step), run.resolve(String.format("checkpoint-%03d", step)));
    }
    Path out = work.resolve("predicted-padded");

    assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--out", out.toString())).isZero();
    try (Checkpoint predicted = Checkpoint.open(out)) {
      assertThat(predicted.floats(EMBEDDINGS)).as("carried: the window-end checkpoint's value").containsExactly(valueAt(50, base, direction, EMBEDDINGS));
    }
  }

  @Test
  void aFixedPredictorWithAPlanForNoModuleIsAOneLineError() throws Exception {
    Path run = work.resolve("bert-run-reference");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    Path out = work.resolve("reference-out");

    // The reference combination takes its target from the user; none is given here.
    int code = cli.execute("predict", run.toString(), "--window-step", "50", "--predictor", "fixed:alpharl-reference", "--out", out.toString());

    assertThat(code).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("fixed:alpharl-reference").contains("target");
    assertThat(out).as("nothing written under the predictor's name").doesNotExist();
  }

  /**
   * The model replaces --out whole: an earlier prediction there is replaced (none of its files left
   * beside the new ones), a folder of the user's own files is refused before anything is written.
   */
  @Test
  void theModelReplacesAnEarlierPredictionWholeAndRefusesAFolderOfOtherFiles() throws Exception {
    Path run = work.resolve("bert-run-replace");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    Path out = work.resolve("replaced");
    Files.createDirectories(out);
    Files.writeString(out.resolve("alpharl_prediction.json"), "{}");
    Files.writeString(out.resolve("model-00003-of-00003.safetensors"), "an earlier prediction's shard");

    assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--out", out.toString())).isZero();
    assertThat(out.resolve("model-00003-of-00003.safetensors")).doesNotExist();
    assertThat(out.resolve(Checkpoint.SINGLE_FILE)).exists();
    assertThat(out.resolveSibling(".replaced.writing")).doesNotExist();

    Path mine = Files.createDirectories(work.resolve("mine"));
    Files.writeString(mine.resolve("notes.txt"), "the user's");
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("predict", run.toString(), "--window-step", "50", "--out", mine.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("holds files of its own");
    assertThat(mine.resolve("notes.txt")).hasContent("the user's");
  }

  /**
   * The extrapolator's --carry-from-base had no offline counterpart: a run predicted live with it
   * could not be reproduced, the tensors that are not modules written at W_k where the live model
   * held W_0. The folder is named by its real name, not '.'.
   */
  @Test
  void carryFromBaseWritesTheTensorsThatAreNotModulesAtTheirBaseValue() throws Exception {
    Path run = work.resolve("bert-run-carry");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    Path out = work.resolve("predicted-carry");

    assertThat(AlphaRl.commandLine().execute("predict", run.resolve(".").toString(), "--window-step", "50", "--carry-from-base", "--out",
        out.toString())).isZero();
    JsonNode meta = new ObjectMapper().readTree(out.resolve("alpharl_prediction.json").toFile());
    assertThat(meta.get("carry_from_base").asBoolean()).isTrue();
    assertThat(meta.get("run").asText()).isEqualTo("bert-run-carry");
    try (Checkpoint predicted = Checkpoint.open(out)) {
      assertThat(predicted.floats(EMBEDDINGS)).as("not a module: W_0").containsExactly(base.get(EMBEDDINGS));
      assertThat(predicted.floats(NORM)).as("not a module: W_0").containsExactly(base.get(NORM));
    }
  }

  /**
   * A fixed: policy applies what the backtest would refuse: scaled to a far step, f16 weights pass
   * 65504. Refused by the writer, that ended in a stack trace; now one line naming the plan.
   */
  @Test
  void aPredictionPastTheDtypesRangeIsAOneLineError() throws Exception {
    Path run = work.resolve("bert-run-f16");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    for (int step = 0; step <= 50; step += 5) {
      writeCheckpoint(run.resolve("checkpoint-" + step), step, base, direction, DType.F16);
    }
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    Path out = work.resolve("predicted-f16");

    int code = cli.execute("predict", run.toString(), "--window-step", "50", "--predictor", "fixed:whole-scale", "--target-step", "1000000000",
        "--out", out.toString());

    assertThat(code).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("beyond F16's range", "fixed:whole-scale", "--target-step");
    assertThat(out).as("nothing written").doesNotExist();
  }

  /** A folder an extrapolator wrote and published was replaced, and the published prediction then named the offline model. */
  @Test
  void anExtrapolatorsModelFolderIsNotReplaced() throws Exception {
    Path run = work.resolve("bert-run-live-out");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    Path live = Files.createDirectories(work.resolve("live").resolve("step-50-step"));
    Files.writeString(live.resolve("alpharl_prediction.json"), "{\"written_with\": \"processor alpharl-processor\"}");
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));

    assertThat(cli.execute("predict", run.toString(), "--window-step", "50", "--out", live.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("an extrapolator's output folder");
    assertThat(live.resolve("alpharl_prediction.json")).content().contains("written_with");

    // An earlier build's model names no settings: the extrapolator's claim on its folder tells.
    Path older = Files.createDirectories(work.resolve("live-older").resolve("run").resolve("step-50-step"));
    Files.writeString(older.resolve("alpharl_prediction.json"), "{}");
    Files.writeString(work.resolve("live-older").resolve(".alpharl-extrapolator-step"), "{}");
    assertThat(cli.execute("predict", run.toString(), "--window-step", "50", "--out", older.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(older.resolve("alpharl_prediction.json")).hasContent("{}");
  }

  /** On the signal axis a window step without its progress value is refused before the pass over the checkpoints; W_0 missing is named as such. */
  @Test
  void aSignalAxisStepWithoutItsValueAndAMissingBaseAreOneLineErrors() throws Exception {
    Path run = work.resolve("bert-run-no-value");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    Files.writeString(run.resolve("checkpoint-25").resolve("trainer_state.json"), "{\"global_step\": 25, \"max_steps\": 100, \"log_history\": []}");
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("predict", run.toString(), "--window-step", "50", "--axis", "signal", "--out", work.resolve("nv").toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("the checkpoint of step 25 has no 'eval_accuracy' value", "--axis step");

    Files.delete(run.resolve("checkpoint-0").resolve("model.safetensors"));
    StringWriter err2 = new StringWriter();
    cli.setErr(new PrintWriter(err2));
    assertThat(cli.execute("predict", run.toString(), "--window-step", "50", "--out", work.resolve("nb").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err2.toString().strip()).doesNotContain("\n").contains("W_0, the run's base, is read from").contains("checkpoint-0");
  }

  /**
   * A verl run (global_step_N/actor/huggingface/, progress in the run folder's progress.jsonl, W_0
   * elsewhere) could not be predicted offline: the command knew the Hugging Face layout alone and
   * took W_0 from checkpoint-0. With --layout and --base, as the agent takes them, it gives the
   * Hugging Face run's model.
   */
  @Test
  void aVerlRunIsPredictedWithItsLayoutAndBase() throws Exception {
    Path hf = work.resolve("bert-run-as-hf");
    writeBertRun(hf, new LinkedHashMap<>(), new LinkedHashMap<>());
    Path verl = Files.createDirectories(work.resolve("bert-run-as-verl"));
    StringBuilder progress = new StringBuilder();
    for (int step = 5; step <= 50; step += 5) {
      Path weights = Files.createDirectories(verl.resolve("global_step_" + step).resolve("actor").resolve("huggingface"));
      Files.copy(hf.resolve("checkpoint-" + step).resolve("model.safetensors"), weights.resolve("model.safetensors"));
      progress.append("{\"step\": ").append(step).append(", \"max_steps\": 100, \"eval_accuracy\": ").append(0.2 + 0.004 * step).append("}\n");
    }
    Files.writeString(verl.resolve("progress.jsonl"), progress.toString());
    Path fromHf = work.resolve("predicted-hf");
    Path fromVerl = work.resolve("predicted-verl");

    assertThat(AlphaRl.commandLine().execute("predict", hf.toString(), "--window-step", "50", "--out", fromHf.toString())).isZero();
    assertThat(AlphaRl.commandLine().execute("predict", verl.toString(), "--layout", "verl", "--base", hf.resolve("checkpoint-0").toString(),
        "--window-step", "50", "--out", fromVerl.toString())).isZero();
    try (Checkpoint a = Checkpoint.open(fromHf); Checkpoint b = Checkpoint.open(fromVerl)) {
      assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
      for (String name : a.tensors().keySet()) {
        assertThat(b.floats(name)).as(name).containsExactly(a.floats(name)); // the header names the run (its folder) otherwise
      }
    }

    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("predict", verl.toString(), "--layout", "verl", "--window-step", "50", "--out", work.resolve("nb").toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("--base is required with --layout verl", "no step-0 folder");
  }

  /**
   * A run the agent followed with --step-dir-pattern (a trainer naming its folders its own way)
   * could not be predicted offline: predict took the named layouts alone. It takes the agent's
   * layout options now, and step 0's folder under the pattern is W_0.
   */
  @Test
  void aRunUnderTheAgentsCustomLayoutIsPredicted() throws Exception {
    Path hf = work.resolve("bert-run-named-hf");
    writeBertRun(hf, new LinkedHashMap<>(), new LinkedHashMap<>());
    Path own = Files.createDirectories(work.resolve("bert-run-named-own"));
    try (var folders = Files.list(hf)) {
      for (Path f : folders.filter(Files::isDirectory).toList()) {
        Path to = Files.createDirectories(own.resolve(f.getFileName().toString().replace("checkpoint-", "ckpt_")));
        try (var files = Files.list(f)) {
          for (Path file : files.toList()) {
            Files.copy(file, to.resolve(file.getFileName()));
          }
        }
      }
    }
    Path fromHf = work.resolve("predicted-named-hf");
    Path fromOwn = work.resolve("predicted-named-own");

    assertThat(AlphaRl.commandLine().execute("predict", hf.toString(), "--window-step", "50", "--out", fromHf.toString())).isZero();
    assertThat(AlphaRl.commandLine().execute("predict", own.toString(), "--step-dir-pattern", "ckpt_(\\d+)", "--window-step", "50", "--out",
        fromOwn.toString())).isZero();
    try (Checkpoint a = Checkpoint.open(fromHf); Checkpoint b = Checkpoint.open(fromOwn)) {
      assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
      for (String name : a.tensors().keySet()) {
        assertThat(b.floats(name)).as(name).containsExactly(a.floats(name));
      }
    }

    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute("predict", own.toString(), "--step-dir-pattern", "ckpt_(", "--window-step", "50", "--out",
        work.resolve("bad-pattern").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).contains("--step-dir-pattern 'ckpt_(' is not a regular expression");
  }

  /** A misspelt --progress-key left the signal axis without points and said nothing. */
  @Test
  void aProgressKeyNoCheckpointLogsIsSaid() throws Exception {
    Path run = work.resolve("bert-run-key");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream before = System.err;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--progress-key", "eval_acuracy", "--out",
          work.resolve("key-out").toString())).isZero();
    } finally {
      System.setErr(before);
    }
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("no checkpoint of the window logs 'eval_acuracy'");
  }

  /** Block matrices W_0 + (t/100)·A (one frozen), an embedding and a norm, checkpoints 0..50 every 5 steps. */
  private static void writeBertRun(Path run, Map<String, float[]> base, Map<String, float[]> direction) throws Exception {
    Random random = new Random(11);
    for (Map.Entry<String, long[]> e : MATRICES.entrySet()) {
      base.put(e.getKey(), gaussian(random, size(e.getValue()), 0.05));
      direction.put(e.getKey(), e.getKey().equals(FROZEN) ? new float[size(e.getValue())] : gaussian(random, size(e.getValue()), 0.01));
    }
    base.put(EMBEDDINGS, gaussian(random, 30 * H, 0.05));
    direction.put(EMBEDDINGS, gaussian(random, 30 * H, 0.01));
    base.put(NORM, gaussian(random, H, 1));
    direction.put(NORM, gaussian(random, H, 0.01));
    base.put(FAR_MOVING, FAR_MOVING_BASE.clone());
    direction.put(FAR_MOVING, new float[FAR_MOVING_BASE.length]);
    for (int step = 0; step <= 50; step += 5) {
      writeCheckpoint(run.resolve("checkpoint-" + step), step, base, direction);
    }
  }

  @Test
  void aRunWhereNothingIsModelledIsAOneLineError() throws Exception {
    Path run = work.resolve("no-blocks");
    Map<String, float[]> base = new LinkedHashMap<>();
    CARRIED_BY_NAME.forEach((name, shape) -> base.put(name, new float[(int) (shape[0] * shape[1])]));
    Map<String, float[]> none = base;
    for (int step = 0; step <= 15; step += 5) {
      writeCheckpoint(run.resolve("checkpoint-" + step), step, base, none);
    }
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));

    int code = cli.execute("predict", run.toString(), "--window-step", "15", "--out", work.resolve("out").toString());

    assertThat(code).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("checkpoint-0").containsIgnoringCase("module").contains("a head", "an embedding");
  }

  /** A tensor the checkpoints hold and the base does not (a value head) was left out of the model without a word. */
  @Test
  void tensorsTheBaseDoesNotHaveAreSaidToBeLeftOut() throws Exception {
    Path run = work.resolve("bert-run-extra");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    Path ckpt = run.resolve("checkpoint-50");
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    Map<String, float[]> values = tensorsInto(ckpt, writer);
    writer.add("v_head.summary.weight", DType.F32, java.util.List.of(1L, 2L));
    values.put("v_head.summary.weight", new float[] {1, 2});
    writer.addBytes(POSITION_IDS, "I64", java.util.List.of(1L, 4L), positionIds());
    writer.writeTo(ckpt.resolve("model.safetensors"), values);
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream before = System.err;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--out", work.resolve("extra-out").toString()))
          .isZero();
    } finally {
      System.setErr(before);
    }
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("1 tensors of " + ckpt, "not in the predicted model",
        "[v_head.summary.weight]");
    try (Checkpoint written = Checkpoint.open(work.resolve("extra-out"))) {
      assertThat(written.tensors()).doesNotContainKey("v_head.summary.weight");
    }
  }

  /**
   * A window checkpoint whose matrix has the base's size but not its shape (a transposed save):
   * taking its delta would pair the wrong elements without a word.
   */
  @Test
  void aWindowCheckpointWhoseTensorsDifferFromTheBaseIsAOneLineError() throws Exception {
    Path run = work.resolve("bert-run-reshaped");
    writeBertRun(run, new LinkedHashMap<>(), new LinkedHashMap<>());
    String query = LAYER + "intermediate.dense.weight";
    Path ckpt = run.resolve("checkpoint-25");
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    Map<String, float[]> values = new LinkedHashMap<>();
    try (Checkpoint c = Checkpoint.open(ckpt)) {
      for (var t : c.tensors().values()) {
        writer.add(t.name(), DType.F32, t.name().equals(query) ? java.util.List.of(t.shape().get(1), t.shape().get(0)) : t.shape());
        values.put(t.name(), c.floats(t.name()));
      }
    }
    writer.writeTo(ckpt.resolve("model.safetensors"), values);
    StringWriter err = new StringWriter();
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err));

    int code = cli.execute("predict", run.toString(), "--window-step", "50", "--out", work.resolve("reshaped-out").toString());

    assertThat(code).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(err.toString().strip()).doesNotContain("\n").contains("checkpoint-25").contains(query).contains("[8, 16]").contains("[16, 8]");
  }

  /** Adds {@code ckpt}'s tensors to {@code writer} as they are stored, for a test to change before writing them back; returns their values. */
  private static Map<String, float[]> tensorsInto(Path ckpt, SafetensorsWriter writer) throws Exception {
    Map<String, float[]> values = new LinkedHashMap<>();
    try (Checkpoint c = Checkpoint.open(ckpt)) {
      for (var t : c.tensors().values()) {
        writer.add(t.name(), t.dtype(), t.shape());
        values.put(t.name(), c.floats(t.name()));
      }
    }
    return values;
  }

  /** A Hugging Face Trainer checkpoint folder: f32 weights W_0 + (t/100)·A and the trainer state. */
  private static void writeCheckpoint(Path dir, int step, Map<String, float[]> base, Map<String, float[]> direction) throws Exception {
    writeCheckpoint(dir, step, base, direction, DType.F32);
  }

  private static void writeCheckpoint(Path dir, int step, Map<String, float[]> base, Map<String, float[]> direction, DType dtype) throws Exception {
    writeCheckpoint(dir, step, base, direction, dtype, false);
  }

  /** @param withInvFreq whether it holds RoPE's inv_freq, a float buffer the model computes, as bases of Llama-2-era conversions do */
  private static void writeCheckpoint(Path dir, int step, Map<String, float[]> base, Map<String, float[]> direction, DType dtype,
      boolean withInvFreq) throws Exception {
    Files.createDirectories(dir);
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    Map<String, float[]> values = new LinkedHashMap<>();
    for (String name : base.keySet()) {
      long[] shape = MATRICES.containsKey(name) ? MATRICES.get(name)
          : CARRIED_BY_NAME.getOrDefault(name, name.equals(EMBEDDINGS) ? new long[] {30, H} : new long[] {base.get(name).length});
      writer.add(name, dtype, java.util.Arrays.stream(shape).boxed().toList());
      values.put(name, valueAt(step, base, direction, name));
    }
    writer.addBytes(POSITION_IDS, "I64", java.util.List.of(1L, 4L), positionIds());
    if (withInvFreq) {
      writer.addBytes(INV_FREQ, "F32", java.util.List.of(2L), invFreq());
    }
    writer.writeTo(dir.resolve("model.safetensors"), values);
    Files.writeString(dir.resolve("trainer_state.json"), "{\"global_step\": " + step + ", \"max_steps\": 100, \"log_history\": [{\"step\": " + step
        + ", \"eval_accuracy\": " + (0.2 + 0.004 * step) + "}]}");
  }

  private static final String INV_FREQ = "encoder.layer.0.attention.self.rotary_emb.inv_freq";

  private static java.nio.ByteBuffer invFreq() {
    return java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(0.01f).flip();
  }

  /**
   * A base holding a float buffer the model computes (RoPE's inv_freq), which the trainer's
   * checkpoints lack: every model written from it failed on the buffer's float dtype. Its bytes are
   * the base's in the predicted model.
   */
  @Test
  void aBaseWithAFloatBufferGivesAModelWithItsBytes() throws Exception {
    Path run = work.resolve("bert-run-inv-freq");
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> direction = new LinkedHashMap<>();
    writeBertRun(run, base, direction);
    writeCheckpoint(run.resolve("checkpoint-0"), 0, base, direction, DType.F32, true);
    Path out = work.resolve("predicted-inv-freq");
    assertThat(AlphaRl.commandLine().execute("predict", run.toString(), "--window-step", "50", "--out", out.toString())).isZero();
    try (Checkpoint predicted = Checkpoint.open(out)) {
      assertThat(predicted.otherTensors()).containsEntry(INV_FREQ, "F32");
      assertThat(predicted.bufferBytes(INV_FREQ)).isEqualTo(invFreq());
    }
  }

  private static java.nio.ByteBuffer positionIds() {
    return java.nio.ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(1).putLong(2).putLong(3).flip();
  }

  private static float[] valueAt(int step, Map<String, float[]> base, Map<String, float[]> direction, String name) {
    if (name.equals(FAR_MOVING)) { // by hand: from W_0 to values near zero whose bits a difference from W_0 cannot carry
      return step == 0 ? FAR_MOVING_BASE.clone() : new float[] {1e-8f * step, -3e-9f, 1e-7f / step, 2.5e-8f};
    }
    float[] w0 = base.get(name);
    float[] a = direction.get(name);
    float[] w = new float[w0.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = w0[i] + (float) (step / 100.0) * a[i];
    }
    return w;
  }

  private static float[] gaussian(Random random, int n, double scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return v;
  }

  private static int size(long[] shape) {
    return (int) (shape[0] * shape[1]);
  }
}
