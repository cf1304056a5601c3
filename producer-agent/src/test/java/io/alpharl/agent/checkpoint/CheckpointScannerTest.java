package io.alpharl.agent.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scanner on real folders created, grown and deleted under it, in each trainer's layout. */
class CheckpointScannerTest {
  @TempDir
  Path root;

  @Test
  void aCheckpointIsCompleteOnceTwoScansSeeItsFilesUnchanged() throws IOException {
    hfCheckpoint("checkpoint-0");
    hfCheckpoint("checkpoint-5");
    weights(root.resolve("checkpoint-10"), 100); // no trainer_state.json yet: still being written
    hfCheckpoint("tmp-checkpoint-15");
    CheckpointScanner scanner = new CheckpointScanner(root);

    assertThat(scanner.scan().complete()).isEmpty();
    assertThat(steps(scanner.scan().complete())).containsExactly(0L, 5L);

    Files.writeString(root.resolve("checkpoint-10").resolve(CheckpointScanner.TRAINER_STATE), "{}");
    assertThat(steps(scanner.scan().complete())).containsExactly(0L, 5L);
    assertThat(steps(scanner.scan().complete())).containsExactly(0L, 5L, 10L);
  }

  /**
   * A verl run watched without --layout verl, or a step folder given as the run's: a live watch
   * waited for good without a word. Said once, naming the layout the folders look like.
   */
  @Test
  void foldersNamedAsAnotherLayoutsAreSaidOnce() throws IOException {
    Files.createDirectories(root.resolve("verl-run").resolve("global_step_5").resolve("actor").resolve("huggingface"));
    Files.createDirectories(root.resolve("checkpoint-100"));
    Files.createDirectories(root.resolve("hf-run").resolve("checkpoint-5"));
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(CheckpointScanner.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      CheckpointScanner verl = new CheckpointScanner(root.resolve("verl-run"));
      verl.scan();
      verl.scan();
      new CheckpointScanner(root.resolve("checkpoint-100")).scan();
      new CheckpointScanner(root.resolve("hf-run")).scan();
      new CheckpointScanner(root.resolve("verl-run"), CheckpointLayout.VERL).scan();
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(lines.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).satisfiesExactly(
        verl -> assertThat(verl).contains("verl-run", "--layout verl"),
        step -> assertThat(step).contains("checkpoint-100 is itself named as a step folder"));
  }

  /**
   * A loop of the user's own that saves with save_pretrained writes no trainer_state.json: its
   * steps were waited for without a word, and one lacking it was left out once a later one was
   * sent. Weights without the ready file while a later step's folder exists are reported; the last
   * step, perhaps still being written, is not.
   */
  @Test
  void weightsWithoutTheReadyFileBeforeALaterStepAreReported() throws IOException {
    weights(root.resolve("checkpoint-5"), 100);
    weights(root.resolve("checkpoint-10"), 100);
    CheckpointScanner scanner = new CheckpointScanner(root);
    ScanResult scan = scanner.scan();
    assertThat(scan.complete()).isEmpty();
    assertThat(steps(scan.unready())).containsExactly(5L);
    Files.writeString(root.resolve("checkpoint-5").resolve(CheckpointScanner.TRAINER_STATE), "{}");
    assertThat(scanner.scan().unready()).isEmpty();
    CheckpointScanner anyFiles = new CheckpointScanner(root, CheckpointLayout.HUGGING_FACE.withReadyFile(Optional.empty()));
    anyFiles.scan();
    assertThat(anyFiles.scan().unready()).as("no ready file to wait for").isEmpty();
  }

  @Test
  void aRunFolderNotMadeYetHasNoCheckpointsUntilItIs() throws IOException {
    Path later = root.resolve("output");
    CheckpointScanner scanner = new CheckpointScanner(later);
    assertThat(scanner.present()).isEmpty();
    assertThat(scanner.scan().complete()).isEmpty();
    hfCheckpoint("output/checkpoint-5");
    scanner.scan();
    assertThat(steps(scanner.scan().complete())).containsExactly(5L);
  }

  @Test
  void aFileThatStillGrowsKeepsItsCheckpointIncomplete() throws IOException {
    Path c = hfCheckpoint("checkpoint-3");
    CheckpointScanner scanner = new CheckpointScanner(root);
    scanner.scan();
    weights(c, 200);
    assertThat(scanner.scan().complete()).isEmpty();
    assertThat(steps(scanner.scan().complete())).containsExactly(3L);
  }

  @Test
  void aFileRewrittenInPlaceAtItsOldSizeKeepsItsCheckpointIncomplete() throws IOException {
    Path c = hfCheckpoint("checkpoint-3");
    CheckpointScanner scanner = new CheckpointScanner(root);
    scanner.scan();
    // A trainer resumed from an earlier step saves over the folder it left: same shapes, same sizes.
    Path weights = c.resolve("model.safetensors");
    byte[] old = Files.readAllBytes(weights);
    Files.write(weights, old);
    Files.setLastModifiedTime(weights, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(weights).toMillis() + 5_000));
    assertThat(Files.size(weights)).isEqualTo(old.length);
    assertThat(scanner.scan().complete()).as("the rewrite was seen").isEmpty();
    assertThat(steps(scanner.scan().complete())).containsExactly(3L);
  }

  @Test
  void aFolderDeletedBetweenScansIsJustAbsentAndStartsOverWhenItComesBack() throws IOException {
    hfCheckpoint("checkpoint-1");
    hfCheckpoint("checkpoint-2");
    CheckpointScanner scanner = new CheckpointScanner(root);
    scanner.scan();
    assertThat(steps(scanner.scan().complete())).containsExactly(1L, 2L);

    deleteTree(root.resolve("checkpoint-1")); // the trainer's save_total_limit rotation
    assertThat(steps(scanner.scan().complete())).containsExactly(2L);

    hfCheckpoint("checkpoint-1"); // rewritten: needs two stable scans again
    assertThat(steps(scanner.scan().complete())).containsExactly(2L);
    assertThat(steps(scanner.scan().complete())).containsExactly(1L, 2L);
  }

  @Test
  void aFolderDeletedDuringAScanIsAbsentFromItsResultWithoutAnError() throws IOException {
    hfCheckpoint("checkpoint-1");
    hfCheckpoint("checkpoint-2");
    hfCheckpoint("checkpoint-3");
    Path victim = root.resolve("checkpoint-2");
    boolean[] deleteNow = {false};
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.HUGGING_FACE, folder -> {
      if (deleteNow[0] && folder.equals(victim)) {
        deleteTree(folder); // after the listing and the ready check, before its files are measured
      }
    });
    scanner.scan();
    deleteNow[0] = true;
    ScanResult r = scanner.scan();
    assertThat(steps(r.complete())).containsExactly(1L, 3L);
    assertThat(r.duplicates()).isEmpty();
    assertThat(Files.exists(victim)).isFalse();
    assertThat(steps(scanner.present())).containsExactly(1L, 3L);
  }

  @Test
  void aFileDeletedInsideAFolderDuringAScanMakesItIncompleteNotAnError() throws IOException {
    Path c = hfCheckpoint("checkpoint-4");
    Files.writeString(c.resolve("optimizer.pt"), "x".repeat(50));
    boolean[] deleteNow = {false};
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.HUGGING_FACE, folder -> {
      if (deleteNow[0]) {
        uncheckedDelete(folder.resolve("optimizer.pt"));
      }
    });
    scanner.scan();
    deleteNow[0] = true;
    assertThat(scanner.scan().complete()).isEmpty();
    deleteNow[0] = false;
    assertThat(steps(scanner.scan().complete())).containsExactly(4L);
  }

  @Test
  void twoFoldersNamingOneStepAreADuplicateNeverACheckpoint() throws IOException {
    hfCheckpoint("checkpoint-5");
    hfCheckpoint("checkpoint-05");
    hfCheckpoint("checkpoint-6");
    CheckpointScanner scanner = new CheckpointScanner(root);
    scanner.scan();
    ScanResult r = scanner.scan();
    assertThat(steps(r.complete())).containsExactly(6L);
    assertThat(r.duplicates()).containsExactly(new DuplicateStep(5, List.of(root.resolve("checkpoint-05"), root.resolve("checkpoint-5"))));
    assertThat(steps(scanner.complete())).containsExactly(6L);
    assertThat(steps(scanner.present())).containsExactly(6L);
    Files.createDirectories(root.resolve("checkpoint-7"));
    assertThat(scanner.leftOut()).as("what present() passes over, said").containsExactly(
        "step 5 is named by 2 folders [checkpoint-05, checkpoint-5]", "checkpoint-7 has no safetensors weights");
    deleteTree(root.resolve("checkpoint-7"));

    deleteTree(root.resolve("checkpoint-05"));
    scanner.scan();
    r = scanner.scan();
    assertThat(r.duplicates()).isEmpty();
    assertThat(steps(r.complete())).containsExactly(5L, 6L);
  }

  @Test
  void verlWeightsLieInASubPathAndNeedNoReadyFile() throws IOException {
    Path folder = root.resolve("global_step_10");
    Files.createDirectories(folder.resolve("actor/huggingface"));
    Files.writeString(folder.resolve("actor/model_world_size_2_rank_0.pt"), "shard");
    Files.writeString(folder.resolve("actor/huggingface/config.json"), "{}"); // verl writes the config first
    Files.createDirectories(root.resolve("global_step_20/actor/huggingface"));
    Files.writeString(root.resolve("latest_checkpointed_iteration.txt"), "10");
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.VERL);
    scanner.scan();
    assertThat(scanner.scan().complete()).isEmpty();

    weights(folder.resolve("actor/huggingface"), 100);
    scanner.scan();
    weights(folder.resolve("actor/huggingface"), 150); // still being written
    assertThat(scanner.scan().complete()).isEmpty();
    List<CheckpointDir> complete = scanner.scan().complete();
    assertThat(complete).containsExactly(new CheckpointDir(10, folder.resolve("actor/huggingface"), folder));
  }

  @Test
  void openRlhfHfExportsAreFoundBesideTheDeepSpeedCheckpoints() throws IOException {
    Files.createDirectories(root.resolve("_actor/global_step20"));
    weights(root.resolve("global_step20_hf"), 10);
    weights(root.resolve("global_step40_hf"), 10);
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.OPENRLHF);
    scanner.scan();
    assertThat(scanner.scan().complete()).extracting(CheckpointDir::step, CheckpointDir::path)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(20L, root.resolve("global_step20_hf")),
            org.assertj.core.groups.Tuple.tuple(40L, root.resolve("global_step40_hf")));
  }

  @Test
  void aStepGroupThatIsNotANumberIsIgnored() throws IOException {
    weights(root.resolve("run-abc"), 10);
    weights(root.resolve("run-7"), 10);
    CheckpointLayout layout = new CheckpointLayout(Pattern.compile("run-(\\w+)"), Optional.empty(), Optional.empty());
    CheckpointScanner scanner = new CheckpointScanner(root, layout);
    scanner.scan();
    assertThat(steps(scanner.scan().complete())).containsExactly(7L);
  }

  @Test
  void aRunDirectoryThatIsAFileIsAnError() throws IOException {
    Path file = Files.writeString(root.resolve("nope"), "");
    CheckpointScanner scanner = new CheckpointScanner(file);
    assertThatThrownBy(scanner::scan).isInstanceOf(UncheckedIOException.class).hasMessageContaining("cannot list " + file);
  }

  /**
   * A new folder whose weights cannot be looked up (here a link loop in their place; in life a
   * folder the agent has no permission to enter, where even the ready file reads as absent) was
   * waited for without a word, or taken for one without weights. It is unreadable, said with why.
   */
  @Test
  void aNewFolderWhoseWeightsCannotBeLookedUpIsUnreadableNotWaitedForOrWeightless() throws IOException {
    hfCheckpoint("checkpoint-0");
    Path five = Files.createDirectories(root.resolve("checkpoint-5"));
    Files.createSymbolicLink(five.resolve("model.safetensors"), Path.of("model.safetensors"));
    Files.writeString(five.resolve(CheckpointScanner.TRAINER_STATE), "{}");
    CheckpointScanner scanner = new CheckpointScanner(root);

    ScanResult r = scanner.scan();
    assertThat(r.weightless()).isEmpty();
    assertThat(r.unreadable()).singleElement().satisfies(u -> {
      assertThat(u.checkpoint().step()).isEqualTo(5L);
      assertThat(u.why()).contains("cannot read " + five, "read again once it can be");
    });
    assertThat(steps(scanner.present())).containsExactly(0L);
    assertThat(scanner.leftOut()).singleElement().asString().startsWith("checkpoint-5 cannot be read (");
  }

  /** A finished Trainer checkpoint holding .bin weights, or DeepSpeed state only: reported with what it holds, never complete. */
  @Test
  void aFinishedCheckpointWithoutSafetensorsIsReportedNotWaitedFor() throws IOException {
    hfCheckpoint("checkpoint-0");
    Path bin = Files.createDirectories(root.resolve("checkpoint-5"));
    Files.write(bin.resolve("pytorch_model.bin"), new byte[100]);
    Files.write(bin.resolve("training_args.bin"), new byte[10]); // in every Trainer checkpoint; not weights
    Path zero = Files.createDirectories(root.resolve("checkpoint-10/global_step10"));
    Files.write(zero.resolve("zero_pp_rank_0_mp_rank_00_model_states.pt"), new byte[10]);
    Files.write(root.resolve("checkpoint-10/training_args.bin"), new byte[10]);
    Path writing = Files.createDirectories(root.resolve("checkpoint-15")); // no trainer_state.json yet: may still get weights
    Files.write(writing.resolve("config.json"), new byte[2]);
    CheckpointScanner scanner = new CheckpointScanner(root);

    assertThat(scanner.scan().weightless()).as("no ready file yet").isEmpty();
    Files.writeString(bin.resolve(CheckpointScanner.TRAINER_STATE), "{}");
    Files.writeString(root.resolve("checkpoint-10").resolve(CheckpointScanner.TRAINER_STATE), "{}");
    ScanResult r = scanner.scan();
    assertThat(r.weightless()).extracting(w -> w.checkpoint().step()).containsExactly(5L, 10L);
    assertThat(r.weightless().get(0).why()).contains("checkpoint-5 has no model.safetensors").contains("pytorch_model.bin")
        .contains("save_safetensors");
    assertThat(r.weightless().get(1).why()).contains("global_step10/").contains("stage3_gather_16bit_weights_on_model_save")
        .doesNotContain("save_safetensors");
    assertThat(steps(r.complete())).containsExactly(0L);
  }

  /**
   * verl without {@code hf_model}: the huggingface folder holds config and tokenizer only. With no
   * ready file, a folder counts as finished once a later step exists and it did not change between
   * two scans; the newest step is never reported (it may still be written).
   */
  @Test
  void aVerlStepWithoutHfModelIsReportedOnceALaterStepExistsAndItStoppedChanging() throws IOException {
    for (int step : new int[] {5, 10}) {
      Path hf = Files.createDirectories(root.resolve("global_step_" + step + "/actor/huggingface"));
      Files.writeString(hf.resolve("config.json"), "{}");
    }
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.VERL);
    assertThat(scanner.scan().weightless()).as("first sight: not yet known to be stable").isEmpty();
    ScanResult r = scanner.scan();
    assertThat(r.weightless()).extracting(w -> w.checkpoint().step()).containsExactly(5L);
    assertThat(r.weightless().get(0).why()).contains("actor/huggingface").contains("config.json").contains("hf_model");
  }

  /**
   * verl's rotation removes global_step_K/actor alone (data.pt stays): a step rotated before the
   * agent read it was reported as saved without 'hf_model', to a user who had set it.
   */
  @Test
  void aVerlStepWhoseActorFolderWasRotatedAwayIsSaidToBeRotated() throws IOException {
    Files.createDirectories(root.resolve("global_step_10"));
    Files.write(root.resolve("global_step_10/data.pt"), new byte[8]);
    Path hf = Files.createDirectories(root.resolve("global_step_20/actor/huggingface"));
    Files.writeString(hf.resolve("config.json"), "{}");
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.VERL);
    scanner.scan();
    ScanResult r = scanner.scan();
    assertThat(r.weightless()).singleElement().satisfies(w -> assertThat(w.why()).contains("actor/ folder is gone: rotated away")
        .contains("max_actor_ckpt_to_keep").doesNotContain("hf_model"));
  }

  /** verl where the weights' sub-folder was never made: the step folder itself is what stops changing. */
  @Test
  void aVerlStepWithoutItsWeightsFolderIsReportedToo() throws IOException {
    Files.createDirectories(root.resolve("global_step_5/actor"));
    Files.writeString(root.resolve("global_step_5/actor/model_world_size_2_rank_0.pt"), "x");
    Files.createDirectories(root.resolve("global_step_10/actor"));
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.VERL);
    scanner.scan();
    ScanResult r = scanner.scan();
    assertThat(r.weightless()).extracting(w -> w.checkpoint().step()).containsExactly(5L);
    assertThat(r.weightless().get(0).why()).contains("global_step_5").contains("actor/").contains("hf_model");
  }

  /**
   * verl's rotation removes a step's actor/ folder and leaves global_step_N/ (data.pt, critic/): a
   * step measured with weights and then without is gone, as a deleted folder is; before, it was
   * taken for a step that never had weights, or passed over without a word.
   */
  @Test
  void aVerlStepWhoseActorFolderWasRotatedAwayVanishes() throws IOException {
    Path five = root.resolve("global_step_5");
    weights(five.resolve("actor/huggingface"), 100);
    Files.writeString(five.resolve("data.pt"), "dataloader state");
    CheckpointScanner scanner = new CheckpointScanner(root, CheckpointLayout.VERL);
    scanner.scan();
    deleteTree(five.resolve("actor"));
    weights(root.resolve("global_step_10/actor/huggingface"), 100);
    ScanResult r = scanner.scan();
    assertThat(r.vanished()).extracting(CheckpointDir::step).containsExactly(5L);
    assertThat(r.weightless()).isEmpty();
  }

  private Path hfCheckpoint(String name) throws IOException {
    Path dir = root.resolve(name);
    weights(dir, 100);
    Files.writeString(dir.resolve(CheckpointScanner.TRAINER_STATE), "{\"max_steps\": 10}");
    return dir;
  }

  /** Only the file's presence and size matter to the scanner. */
  private static void weights(Path dir, int bytes) throws IOException {
    Files.createDirectories(dir);
    Files.write(dir.resolve("model.safetensors"), new byte[bytes]);
  }

  private static List<Long> steps(List<CheckpointDir> dirs) {
    return dirs.stream().map(CheckpointDir::step).toList();
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(CheckpointScannerTest::uncheckedDelete);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void uncheckedDelete(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
