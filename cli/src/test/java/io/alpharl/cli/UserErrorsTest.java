package io.alpharl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.alpharl.agent.replay.RunReplayer;
import io.alpharl.safetensors.DType;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user gets wrong on the command line is told in one line with exit code 2, before any
 * broker is asked: each case names an address where no broker answers, so a check that came after
 * Kafka would wait out the client's timeout and this test's, and print something else.
 */
@Timeout(30)
class UserErrorsTest {
  private static final String NO_BROKER = "127.0.0.1:1";

  @TempDir
  Path work;

  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    var cli = AlphaRl.commandLine();
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  private String oneLine() {
    String text = err.toString().strip();
    assertThat(text).as("one line").doesNotContain("\n").doesNotContain("Exception");
    return text;
  }

  /** A run folder with W_0 and three checkpoints of one module; {@code maxSteps} 0 leaves the trainer state without one. */
  private Path runFolder(String name, int maxSteps, float nanAtStep) throws Exception {
    Path dir = Files.createDirectories(work.resolve(name));
    String module = "model.layers.0.mlp.up_proj.weight";
    for (int step : new int[] {0, 5, 10, 15}) {
      Path c = Files.createDirectories(dir.resolve("checkpoint-" + step));
      float[] w = new float[12];
      for (int i = 0; i < w.length; i++) {
        w[i] = 1 + 0.01f * step * (i + 1) + (i % 3 == 0 ? 0.001f * step * step : 0);
      }
      if (step == nanAtStep) {
        w[7] = Float.NaN;
      }
      new SafetensorsWriter(Map.of()).add(module, DType.F32, List.of(4L, 3L)).writeTo(c.resolve("model.safetensors"), Map.of(module, w));
      Files.writeString(c.resolve("trainer_state.json"), "{" + (maxSteps > 0 ? "\"max_steps\": " + maxSteps + ", " : "")
          + "\"log_history\": [{\"step\": " + step + ", \"eval_accuracy\": 0.5}]}");
    }
    return dir;
  }

  private void again() {
    err.getBuffer().setLength(0);
  }

  /** Each wrote over the user's own checkpoint, or into the trainer's folder, and exited 0. */
  @Test
  void anOutputThatWouldWriteOverTheInputs() throws Exception {
    Path run = runFolder("run", 100, -1);
    byte[] base = Files.readAllBytes(run.resolve("checkpoint-0/model.safetensors"));
    assertThat(run("predict", run.toString(), "--window-step", "15", "--out", run.resolve("checkpoint-0").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--out", "the checkpoint folder", "would write over it");
    again();
    assertThat(run("predict", run.toString(), "--window-step", "15", "--out", run.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("is the run folder");
    again();
    assertThat(run("agent", "record", run.toString(), "--run-id", "r", "--out", run.resolve("checkpoint-0/model.safetensors").toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("inside the base model folder");
    again();
    assertThat(run("agent", "record", run.toString(), "--run-id", "r", "--out", work.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("is a folder", "r.arrow");
    again();
    assertThat(run("agent", "record", run.toString(), "--run-id", "r", "--out", "")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--out is empty");
    assertThat(Files.readAllBytes(run.resolve("checkpoint-0/model.safetensors"))).isEqualTo(base);
  }

  /** Each was a stack trace, or a prediction for "target step 0" with exit 0. */
  @Test
  void aPredictionWithoutATargetOrFromNonFiniteWeights() throws Exception {
    Path run = runFolder("no-max", 0, -1);
    assertThat(run("predict", run.toString(), "--window-step", "15", "--out", work.resolve("p").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("planned final step is unknown", "--target-step");
    again();
    // On the signal axis too: the pass over every checkpoint ended with the window-end checkpoint as the model, and exit 0.
    assertThat(run("predict", run.toString(), "--window-step", "15", "--axis", "signal", "--out", work.resolve("p").toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("planned final step is unknown", "gate needs it", "--target-step");
    again();
    assertThat(run("predict", run.toString(), "--window-step", "15", "--axis", "signal", "--predictor", "fixed:alpharl", "--out",
        work.resolve("p").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("planned final step is unknown", "--target-step, or the signal's target with --target-value");
    assertThat(work.resolve("p")).doesNotExist();
    again();
    // The fixed predictor's way out is named where --axis (only the reported summary's) was left at its default.
    assertThat(run("predict", run.toString(), "--window-step", "15", "--predictor", "fixed:alpharl", "--target-value", "0.9", "--out",
        work.resolve("p").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("planned final step is unknown", "--axis signal and the signal's target with --target-value");
    again();
    // A trainer state that does not parse was taken for one without a plan, and its reason was lost.
    Path spoilt = runFolder("spoilt", 100, -1);
    Files.writeString(spoilt.resolve("checkpoint-15/trainer_state.json"), "{\"max_steps\": 100, \"log_history\": [");
    assertThat(run("predict", spoilt.toString(), "--window-step", "15", "--out", work.resolve("s").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("checkpoint-15", "trainer_state.json is not valid JSON").doesNotContain("planned final step is unknown");
    again();
    assertThat(run("predict", run.toString(), "--window-step", "15", "--target-step", "-100", "--out", work.resolve("p").toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--target-step -100");
    again();
    Path nan = runFolder("nan", 100, 10);
    assertThat(run("predict", nan.toString(), "--window-step", "15", "--out", work.resolve("q").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("checkpoint-10", "element 7 is NaN");
    again();
    assertThat(run("predict", nan.toString(), "--window-step", "15", "--out", work.resolve("q").toString(), "--r2-floor", "NaN"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--r2-floor");
  }

  /**
   * A model whose largest tensor the heap cannot hold ran out of memory at the model's write, after
   * the pass over every checkpoint (hours at 7B). Said before that pass now. The base here is a
   * sparse file: a 4 GB bf16 embedding (8 GB as floats) that takes no disk.
   */
  @Test
  void aPredictionTheHeapCannotHoldIsRefusedBeforeTheCheckpointsAreRead() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() < 8_000_000_000L, "a heap that holds 8 GB of floats");
    Path run = runFolder("large", 100, -1);
    sparseBase(run, "BF16", "[2000000000]", 4_000_000_000L);
    assertThat(run("predict", run.toString(), "--window-step", "15", "--out", work.resolve("p").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("this model and window need at least 8.3 GB of heap", "the largest tensor, 8.0 GB, while the model is written",
        "-Xmx").doesNotContain("--max-window");
    assertThat(work.resolve("p")).doesNotExist();
  }

  /** A tensor no Java array holds is said as that whatever the heap (not skipped with the case above on a large one). */
  @Test
  void aTensorNoJavaArrayHoldsIsRefusedWhateverTheHeap() throws Exception {
    Path run = runFolder("larger", 100, -1);
    sparseBase(run, "BF16", "[3000000000]", 6_000_000_000L);
    assertThat(run("predict", run.toString(), "--window-step", "15", "--out", work.resolve("p").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("tensor model.embed_tokens.weight has 3000000000 values, more than one Java array holds");
    assertThat(work.resolve("p")).doesNotExist();
  }

  /** W_0 of {@code run} as an embedding of {@code shape} in {@code dtype}, its values a hole in a sparse file, and the run's module. */
  private static void sparseBase(Path run, String dtype, String shape, long bytes) throws Exception {
    String header = "{\"model.embed_tokens.weight\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[0," + bytes + "]},"
        + "\"model.layers.0.mlp.up_proj.weight\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[" + bytes + "," + (bytes + 48) + "]}}";
    byte[] json = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(run.resolve("checkpoint-0").resolve("model.safetensors").toFile(), "rw")) {
      f.setLength(0);
      f.write(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
      f.write(json);
      f.setLength(8L + json.length + bytes + 48);
    }
  }

  /** Kafka moved the user's folders aside (renamed -stray); a blank --id made a claim on --out for good; the rest were stack traces. */
  @Test
  void foldersAndNamesThatServicesWouldTakeForTheirs() throws Exception {
    Path run = runFolder("kept", 100, -1);
    assertThat(run("broker", "--port", "0", "--data-dir", run.toString(), "--exit-after-start")).isEqualTo(2);
    assertThat(oneLine()).contains("not a Kafka broker's", "give an empty folder");
    try (var entries = Files.list(run)) {
      assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("checkpoint-0", "checkpoint-5", "checkpoint-10",
          "checkpoint-15");
    }
    again();
    // Kafka said "node ID not found" of a meta.properties that is no broker's.
    Path junk = Files.createDirectories(work.resolve("junk-broker"));
    Files.writeString(junk.resolve("meta.properties"), "hello=world\n");
    assertThat(run("broker", "--port", "0", "--data-dir", junk.toString(), "--exit-after-start")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains(junk.resolve("meta.properties") + " is not a KRaft broker's", "give an empty folder");
    again();
    assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", work.resolve("x").toString(), "--id", "")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--id ''");
    assertThat(work.resolve("x").resolve(".alpharl-extrapolator-step")).doesNotExist();
    again();
    assertThat(run("status", "--processor-url", "http://127.0.0.1:99999")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("port 99999");
    again();
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", work.resolve("st").toString(), "--instance-id", "host 1"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--instance-id 'host 1' is not a Kafka group instance id");
    again();
    assertThat(run("status", "my run")).as("no processor asked for an id no run can have").isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("my run");
    again();
    assertThat(run("agent", "replay", work.resolve("none.arrow").toString(), "--speed", "-1", "--bootstrap-servers", NO_BROKER))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--speed");
    again();
    Path notARecording = Files.writeString(work.resolve("text.arrow"), "not arrow");
    java.io.ByteArrayOutputStream demoErr = new java.io.ByteArrayOutputStream(); // the demo speaks on System.err
    java.io.PrintStream stderr = System.err;
    System.setErr(new java.io.PrintStream(demoErr, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(run("demo", "--recording", notARecording.toString(), "--exit", "--no-score", "--http-port", "0", "--out",
          work.resolve("d").toString())).isEqualTo(2);
      assertThat(demoErr.toString(java.nio.charset.StandardCharsets.UTF_8).strip()).doesNotContain("\n").doesNotContain("Exception")
          .contains("alpharl demo: cannot replay", "text.arrow");
      demoErr.reset();
      // A recording of a model whose ΔW the one JVM cannot hold ran out of memory minutes in.
      Path large = work.resolve("large.arrow");
      try (org.apache.arrow.memory.RootAllocator allocator = new org.apache.arrow.memory.RootAllocator();
           io.alpharl.proto.frame.RecordingWriter w = new io.alpharl.proto.frame.RecordingWriter(allocator, large)) {
        io.alpharl.proto.v1.RunManifest m = io.alpharl.proto.v1.RunManifest.newBuilder().setSchemaVersion(io.alpharl.proto.topic.Topics.SCHEMA_VERSION)
            .setRunId("large").addTensors(io.alpharl.proto.v1.TensorInfo.newBuilder().setName("model.layers.0.mlp.up_proj.weight").addShape(1_000_000)
                .addShape(1_000_000).setModelled(true)).build();
        w.add(new io.alpharl.proto.frame.RecordEntry(io.alpharl.proto.frame.RecordEntry.Kind.MANIFEST, 0, "large", m.toByteArray()));
        w.commit();
      }
      assertThat(run("demo", "--recording", large.toString(), "--exit", "--no-score", "--http-port", "0", "--out", work.resolve("d").toString()))
          .isEqualTo(2);
      assertThat(demoErr.toString(java.nio.charset.StandardCharsets.UTF_8).strip()).doesNotContain("\n")
          .contains("alpharl demo: the recording's modelled matrices hold 1.00e+12 values", "about 5001.1 GB of heap", "-Xmx");
      assertThat(work.resolve("d")).as("refused before anything is made").doesNotExist();
      demoErr.reset();
      // An empty --out was the current folder: the whole demo ran there.
      assertThat(run("demo", "--exit", "--no-score", "--http-port", "0", "--out", "")).isEqualTo(2);
      assertThat(demoErr.toString(java.nio.charset.StandardCharsets.UTF_8).strip()).isEqualTo("alpharl demo: --out is empty: give a path");
    } finally {
      System.setErr(stderr);
    }
  }

  /** 'alpharl agent help watch' was an unmatched argument: help is reachable at every level that has subcommands. */
  @Test
  void helpForAnAgentSubcommand() {
    var cli = AlphaRl.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute("agent", "help", "watch")).isZero();
    assertThat(out.toString()).startsWith("Usage: alpharl agent watch");
  }

  @Test
  void aRunIdTheTopicsCannotKey() {
    assertThat(run("agent", "watch", work.toString(), "--run-id", "team/run-1", "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--run-id").contains("'/'");
  }

  @Test
  void aRunFolderThatIsNotThere() {
    assertThat(run("agent", "watch", work.resolve("nope").toString(), "--run-id", "r", "--bootstrap-servers", NO_BROKER, "--once"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("no run directory").contains("nope");
    err.getBuffer().setLength(0);
    assertThat(run("agent", "watch", work.resolve("nope").toString(), "--run-id", "r", "--bootstrap-servers", NO_BROKER))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).as("a live watch may start before its trainer, given W_0").contains("give W_0 with --base");
  }

  @Test
  void aRunFolderWithoutItsBase() {
    assertThat(run("agent", "watch", work.toString(), "--run-id", "r", "--bootstrap-servers", NO_BROKER, "--once")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("base model W_0").contains("checkpoint-0").contains("--base");
  }

  @Test
  void aModulePatternThatMatchesNothing() throws Exception {
    Path base = Files.createDirectories(work.resolve("checkpoint-0"));
    new SafetensorsWriter(Map.of()).add("model.layers.0.mlp.up_proj.weight", DType.F32, List.of(2L, 2L))
        .writeTo(base.resolve("model.safetensors"), Map.of("model.layers.0.mlp.up_proj.weight", new float[4]));
    assertThat(run("agent", "record", work.toString(), "--run-id", "r", "--modules", "attention", "--out", work.resolve("r.arrow").toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("include pattern 'attention' matches no tensor", "must match the whole name");
  }

  /** Every delta of that element would be non-finite, at every step and restart: one line, not a stack trace per step. */
  @Test
  void aBaseModelWithANaNNoRunStartsFrom() throws Exception {
    String name = "model.layers.0.mlp.up_proj.weight";
    for (int step : new int[] {0, 5}) {
      Path dir = Files.createDirectories(work.resolve("checkpoint-" + step));
      new SafetensorsWriter(Map.of()).add(name, DType.F32, List.of(2L, 2L))
          .writeTo(dir.resolve("model.safetensors"), Map.of(name, new float[] {1, Float.NaN, 3, 4})); // a NaN in the base stays one in training
      Files.writeString(dir.resolve("trainer_state.json"), "{\"max_steps\": 10, \"log_history\": []}");
    }
    assertThat(run("agent", "record", work.toString(), "--run-id", "r", "--out", work.resolve("r.arrow").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("base model W_0").contains("NaN").contains(name).contains("--base");
  }

  /**
   * agent record wrote its Arrow file over any file named by --out, and exited 0 having recorded
   * no step (a folder whose checkpoints it could not read, or none); both are refused with why.
   */
  @Test
  void aRecordingOverAUsersFileOrOfNoStep() throws Exception {
    Path dir = runFolder("run", 100, -1);
    Path notes = Files.writeString(work.resolve("notes.txt"), "mine");
    assertThat(run("agent", "record", dir.toString(), "--run-id", "r", "--progress-key", "eval_accuracy", "--out", notes.toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--out " + notes, "exists and is not a recording");
    assertThat(Files.readString(notes)).isEqualTo("mine");
    again();
    for (int step : new int[] {5, 10, 15}) {
      Files.delete(dir.resolve("checkpoint-" + step).resolve("trainer_state.json")); // never complete for the hf layout
    }
    Path out = work.resolve("r.arrow");
    // Another recorder of the name (here of this process, which holds its lock): a stack trace before.
    try (org.apache.arrow.memory.RootAllocator allocator = new org.apache.arrow.memory.RootAllocator();
         io.alpharl.proto.frame.RecordingWriter other = new io.alpharl.proto.frame.RecordingWriter(allocator, out)) {
      assertThat(run("agent", "record", dir.toString(), "--run-id", "r", "--progress-key", "eval_accuracy", "--out", out.toString()))
          .isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("another recording to " + out + " is being written", "give another --out");
    }
    again();
    assertThat(run("agent", "record", dir.toString(), "--run-id", "r", "--progress-key", "eval_accuracy", "--out", out.toString()))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("no step recorded from", "not read: checkpoint-").contains("lacks its ready file trainer_state.json");
    assertThat(out).doesNotExist();
  }

  @Test
  void aRecordingThatIsNotThereOrIsNoRecording() throws Exception {
    assertThat(run("agent", "replay", work.resolve("r.arrow").toString(), "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("no recording at");
    Path notOne = Files.writeString(work.resolve("notes.arrow"), "not arrow");
    err.getBuffer().setLength(0);
    assertThat(run("agent", "replay", notOne.toString(), "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("cannot replay").contains("notes.arrow");
  }

  /**
   * One byte flipped in a late step's frame: the replay sent the steps before it, left the run open
   * and failed as a stack trace, at the same place on every try. The recording is read whole first
   * now; the error names where it is damaged, and nothing is sent (no broker is asked here).
   */
  @Test
  void aRecordingDamagedPartWayIsRefusedBeforeAnythingIsSent() throws Exception {
    byte[] bytes = Files.readAllBytes(Path.of("..", "examples", "runs", "add2-grpo-seed1.arrow"));
    byte[] magic = "ARLF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int last = -1;
    for (int i = 0; i + magic.length <= bytes.length; i++) {
      if (java.util.Arrays.equals(bytes, i, i + magic.length, magic, 0, magic.length)) {
        last = i;
      }
    }
    assertThat(last).as("a frame in the recording").isPositive();
    bytes[last + 200] ^= 0x10;
    Path damaged = Files.write(work.resolve("damaged.arrow"), bytes);
    assertThat(run("agent", "replay", damaged.toString(), "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("cannot replay", "damaged.arrow is damaged at batch", "DELTA record of step 200");
  }

  /**
   * A replay writes the run's base model into --base-dir: a folder of the user's own (here a model
   * and its config) was written over without a word, and a file in its place failed as a stack
   * trace once the broker had answered. Both are refused first; a folder a replay of the same
   * recording wrote is its own to write again.
   */
  @Test
  void aBaseDirThatHoldsTheUsersOwnModel() throws Exception {
    Path recording = Path.of("..", "examples", "runs", "add2-grpo-seed1.arrow");
    Path mine = Files.createDirectories(work.resolve("my-model"));
    Files.writeString(mine.resolve("config.json"), "{}");
    Files.writeString(mine.resolve("model.safetensors"), "the user's weights");
    assertThat(run("agent", "replay", recording.toString(), "--base-dir", mine.toString(), "--bootstrap-servers", NO_BROKER))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--base-dir " + mine, "holds other files", "new or empty folder");
    assertThat(Files.readString(mine.resolve("model.safetensors"))).isEqualTo("the user's weights");
    again();
    Path file = Files.writeString(work.resolve("a-file"), "");
    assertThat(run("agent", "replay", recording.toString(), "--base-dir", file.toString(), "--bootstrap-servers", NO_BROKER))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("is a file, not a folder");
    again();
    Path replayed = Files.createDirectories(work.resolve("replayed"));
    new SafetensorsWriter(Map.of(RunReplayer.RUN_METADATA, "add2-grpo-seed1")).add("w", DType.F32, List.of(1L)).writeTo(
        replayed.resolve("model.safetensors"), Map.of("w", new float[1]));
    run("agent", "replay", recording.toString(), "--base-dir", replayed.toString(), "--bootstrap-servers", NO_BROKER,
        "--kafka-config", Files.writeString(work.resolve("fast.properties"), "default.api.timeout.ms=2000\nrequest.timeout.ms=1000\n").toString());
    assertThat(err.toString()).as("goes on to the broker").doesNotContain("--base-dir");
    again();
    Path fresh = work.resolve("fresh").resolve("run").resolve("base");
    assertThat(run("agent", "replay", recording.toString(), "--base-dir", fresh.toString(), "--bootstrap-servers", NO_BROKER, "--kafka-config",
        work.resolve("fast.properties").toString())).isNotZero();
    assertThat(work.resolve("fresh")).as("the folders it made for a base it never wrote").doesNotExist();
    again();
    Path usersEmpty = Files.createDirectories(work.resolve("users-empty"));
    Path roundabout = work.resolve("not-there").resolve("..").resolve("users-empty").resolve("base");
    assertThat(run("agent", "replay", recording.toString(), "--base-dir", roundabout.toString(), "--bootstrap-servers", NO_BROKER, "--kafka-config",
        work.resolve("fast.properties").toString())).isNotZero();
    assertThat(usersEmpty).as("the user's own empty folder, named through '..'").isDirectory();
    assertThat(usersEmpty.resolve("base")).as("made by the command, removed").doesNotExist();
    assertThat(work.resolve("not-there")).doesNotExist();
  }

  @Test
  void foldersTheServicesCannotWrite() throws Exception {
    Path file = Files.writeString(work.resolve("a-file"), "");
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", file.resolve("state").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("cannot create --state-dir");
    err.getBuffer().setLength(0);
    assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", file.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("cannot create --out").contains("in the way");
  }

  /** Another service on the port: its 404 said only "not found" (exit 1), its JSON gave an empty table and exit 0. */
  @Test
  void aStatusAskedOfAnotherService() throws Exception {
    com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    other.createContext("/api/runs", x -> {
      byte[] body = "{\"status\":\"ok\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      x.sendResponseHeaders(200, body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    other.createContext("/", x -> {
      x.sendResponseHeaders(404, -1);
      x.close();
    });
    other.start();
    try {
      String url = "http://127.0.0.1:" + other.getAddress().getPort();
      assertThat(run("status", "--processor-url", url)).isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("not as the processor's API");
      again();
      other.removeContext("/api/runs");
      assertThat(run("status", "some-run", "--processor-url", url)).isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("not as the processor's API");
    } finally {
      other.stop(0);
    }
  }

  /**
   * Settings the processor's config refused in its own words (or a huge session timeout, as a
   * stack trace) are named by their option, before anything is made on disk.
   */
  @Test
  void processorSettingsAreRefusedByTheirOptionsName() {
    Path state = work.resolve("never-made");
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state.toString(), "--http-port", "0", "--session-timeout",
        "PT3000000000000H")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--session-timeout must lie in [1s, 30m]");
    again();
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state.toString(), "--http-port", "0", "--max-window", "3"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--max-window 3 keeps 3 points after it thins the window, below --min-window 5");
    again();
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state.toString(), "--http-port", "0", "--instance-id", " "))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--instance-id must not be blank");
    assertThat(state).doesNotExist();
  }

  /** Options record shares with watch but never uses were taken without a word. */
  @Test
  void aRecordingSaysWhichWatchOptionsItDoesNotUse() throws Exception {
    Path run = runFolder("record-pace", 15, Float.NaN);
    assertThat(run("agent", "record", run.toString(), "--run-id", "r", "--out", work.resolve("paced.arrow").toString(), "--poll-interval", "5s",
        "--keyframe-every", "8")).isZero();
    assertThat(err.toString()).contains("--poll-interval is not used").contains("--keyframe-every is not used").doesNotContain("--progress-wait");
    assertThat(run("agent", "record", run.toString(), "--run-id", "r", "--out", work.resolve("unpaced.arrow").toString(), "--poll-interval", "0s"))
        .as("not used, so not refused: watch's floor is watch's").isZero();
  }

  /** The processor prints its page's address with a trailing slash; pasted as is, status asked for //api/runs, which it answers 404. */
  @Test
  void theProcessorsAddressAsItPrintsItWithATrailingSlash() throws Exception {
    com.sun.net.httpserver.HttpServer processor = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    processor.createContext("/", x -> {
      byte[] body = "[]".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      x.sendResponseHeaders(x.getRequestURI().getPath().equals("/api/runs") ? 200 : 404, x.getRequestURI().getPath().equals("/api/runs") ? body.length : -1);
      if (x.getRequestURI().getPath().equals("/api/runs")) {
        x.getResponseBody().write(body);
      }
      x.close();
    });
    processor.start();
    try {
      assertThat(run("status", "--processor-url", "http://127.0.0.1:" + processor.getAddress().getPort() + "/")).isZero();
    } finally {
      processor.stop(0);
    }
  }

  @Test
  void aProcessorNobodyRuns() {
    assertThat(run("status", "--processor-url", "http://127.0.0.1:1")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("cannot reach the processor").contains("connection refused").doesNotContain("null");
  }

  /** Kafka's client refuses these when it is made (wrapped as "Failed to create new KafkaAdminClient"), before any network. */
  @Test
  void kafkaClientSettingsTheClientRefuses() throws Exception {
    assertThat(run("processor", "--bootstrap-servers", "localhost", "--state-dir", work.resolve("p1").toString(), "--http-port", "0"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("Kafka client settings").contains("bootstrap.servers").contains("--bootstrap-servers");
    err.getBuffer().setLength(0);
    Path config = Files.writeString(work.resolve("client.properties"), "security.protocol=NOPE\n");
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--kafka-config", config.toString(), "--state-dir", work.resolve("p2").toString(),
        "--http-port", "0")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("Kafka client settings").contains("security.protocol").contains("--kafka-config");
    again();
    // SASL without its JAAS line: the client is not built, for a reason under an IllegalArgumentException.
    Path sasl = Files.writeString(work.resolve("sasl.properties"), "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n");
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--kafka-config", sasl.toString(), "--state-dir", work.resolve("p3").toString(),
        "--http-port", "0")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("Kafka client settings").contains("JAAS").contains("--kafka-config");
    again();
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--kafka-config", work.resolve("none.properties").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).endsWith("none.properties: no such file");
    again();
    Path binary = Files.write(work.resolve("binary.properties"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--kafka-config", binary.toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).endsWith("binary.properties: not a text file of properties");
  }

  /** Each named topics Kafka refuses: the processor failed with a stack trace once the broker answered, the extrapolator waited for ever. */
  @Test
  void applicationIdsNoTopicCanBeNamedAfter() {
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", work.resolve("s").toString(), "--application-id", "bad id!"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--application-id 'bad id!'", "letters, digits");
    again();
    assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", work.resolve("o").toString(), "--processor-application", "bad id!"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--processor-application 'bad id!'");
  }

  @Test
  void processorSettingsOutOfRange() {
    String state = work.resolve("state").toString();
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state, "--stream-threads", "0")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--stream-threads must be 1 or more, got 0");
    for (String[] bad : new String[][] {{"--rank1-threads", "-1"}, {"--standby-replicas", "-1"}, {"--snapshot-every", "-1"}}) {
      again();
      assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state, bad[0], bad[1])).isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains(bad[0] + " must be", "got -1");
    }
    err.getBuffer().setLength(0);
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state, "--partitions", "0")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--partitions");
  }

  @Test
  void portsThatAreTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String port = String.valueOf(taken.getLocalPort());
      assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", work.resolve("state").toString(), "--http-port", port))
          .isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("port " + port).contains("--http-port");
      err.getBuffer().setLength(0);
      assertThat(run("broker", "--port", port, "--data-dir", work.resolve("broker").toString())).isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("port " + port).contains("choose another with --port");
      again();
      // Said after Kafka answered, up to a minute later; with no broker, never.
      assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", work.resolve("o").toString(), "--metrics-port", port))
          .isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("port " + port + " for metrics is in use");
    }
  }

  @Test
  void agentAndExtrapolatorSettingsOutOfRange() throws Exception {
    Path base = Files.createDirectories(work.resolve("run/checkpoint-0"));
    new SafetensorsWriter(Map.of()).add("model.layers.0.mlp.up_proj.weight", DType.F32, List.of(2L, 2L))
        .writeTo(base.resolve("model.safetensors"), Map.of("model.layers.0.mlp.up_proj.weight", new float[4]));
    Path file = Files.writeString(work.resolve("a-file"), "");
    String run = work.resolve("run").toString();
    assertThat(run("agent", "watch", run, "--run-id", "r", "--max-chunk-bytes", "0", "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--max-chunk-bytes");
    err.getBuffer().setLength(0);
    // At 0 the scans ran back to back, a core spent, and the two that must agree on a checkpoint were no time apart.
    assertThat(run("agent", "watch", run, "--run-id", "r", "--poll-interval", "0s", "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--poll-interval must be at least 10ms, got PT0S");
    err.getBuffer().setLength(0);
    assertThat(run("agent", "watch", run, "--run-id", "r", "--state-dir", file.toString(), "--bootstrap-servers", NO_BROKER)).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--state-dir");
    err.getBuffer().setLength(0);
    assertThat(run("agent", "record", run, "--run-id", "r", "--out", file.resolve("r.arrow").toString())).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--out");
    err.getBuffer().setLength(0);
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThat(run("agent", "watch", run, "--run-id", "r", "--control-port", String.valueOf(taken.getLocalPort()), "--bootstrap-servers", NO_BROKER))
          .isEqualTo(AlphaRl.USER_ERROR);
      assertThat(oneLine()).contains("--control-port");
    }
    err.getBuffer().setLength(0);
    assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", work.resolve("models").toString(), "--min-fraction", "7"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--min-fraction").contains("7");
    err.getBuffer().setLength(0);
    Path claimed = work.resolve("claimed");
    Files.createDirectories(claimed);
    Files.writeString(claimed.resolve(".alpharl-extrapolator-step"), "other-extrapolator\n");
    assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", claimed.toString(), "--id", "mine")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("extrapolator 'other-extrapolator'", "'mine' would write over them");
  }

  /** Each was a stack trace (some only after a broker had started) or, for a negative port, silently "off". */
  @Test
  void portsHostsCountsAndSharesOutOfRange() throws Exception {
    assertThat(run("extrapolator", "--bootstrap-servers", NO_BROKER, "--out", work.resolve("m").toString(), "--metrics-port", "-1"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--metrics-port").contains("outside 0..65535");
    err.getBuffer().setLength(0);
    assertThat(run("broker", "--port", "70000")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--port").contains("70000");
    err.getBuffer().setLength(0);
    assertThat(run("broker", "--partitions", "0", "--port", "0")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--partitions");
    err.getBuffer().setLength(0);
    assertThat(run("processor", "--bootstrap-servers", NO_BROKER, "--state-dir", work.resolve("s").toString(), "--http-host", "no-such-host.invalid"))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("no-such-host.invalid").contains("no such host");
    err.getBuffer().setLength(0);
    assertThat(run("agent", "watch", work.toString(), "--run-id", "r", "--planned-steps", "-1", "--bootstrap-servers", NO_BROKER))
        .isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--planned-steps");
    err.getBuffer().setLength(0);
    assertThat(run("status", "--processor-url", "127.0.0.1:8080")).isEqualTo(AlphaRl.USER_ERROR);
    assertThat(oneLine()).contains("--processor-url").contains("http://");
    Path recording = Path.of("..", "examples", "runs", "add2-grpo-seed1.arrow");
    assertThat(recording).as("the bundled recording, so that the window is what is refused").isRegularFile();
    assertThat(run("demo", "--recording", recording.toString(), "--window", "40", "--exit", "--no-score", "--http-port", "0",
        "--out", work.resolve("demo").toString())).as("before any broker starts").isEqualTo(AlphaRl.USER_ERROR);
    assertThat(work.resolve("demo")).as("nothing made").doesNotExist();
  }

  @Test
  void twoProcessorsOnOneStateFolder() throws Exception {
    Path state = Files.createDirectories(work.resolve("state"));
    try (FileChannel ch = FileChannel.open(state.resolve(".alpharl-processor.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
         FileLock held = ch.lock()) {
      // The lock is the other process's: a JVM cannot take its own lock twice, so another JVM holds it.
      ProcessBuilder other = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
          AlphaRl.class.getName(), "processor", "--bootstrap-servers", NO_BROKER, "--state-dir", state.toString(), "--http-port", "0");
      Process p = other.redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.waitFor()).isEqualTo(AlphaRl.USER_ERROR);
      assertThat(out.lines().filter(l -> !l.startsWith("WARNING")).toList()).singleElement().asString()
          .contains("another processor is using --state-dir");
    }
  }
}
