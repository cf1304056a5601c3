package io.alpharl.extrapolator.write;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model folder is replaced whole or left as it was. */
class StagedFolderTest {
  @TempDir
  Path dir;

  @Test
  void aWriteReplacesTheFolderWholeAndAFailedOneLeavesItAsItWas() throws IOException {
    Path model = Files.createDirectories(dir.resolve("model"));
    Files.writeString(model.resolve("model-00002-of-00002.safetensors"), "old");
    Files.writeString(model.resolve("alpharl_prediction.json"), "old");

    assertThatThrownBy(() -> StagedFolder.replace(model, staging -> {
      Files.createDirectories(staging);
      Files.writeString(staging.resolve("model-00001-of-00002.safetensors"), "new");
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(model.resolve("alpharl_prediction.json")).hasContent("old");
    assertThat(model.resolve("model-00001-of-00002.safetensors")).as("nothing of the failed write").doesNotExist();
    assertThat(StagedFolder.stagingOf(model)).doesNotExist();

    long bytes = StagedFolder.replace(model, staging -> {
      Files.createDirectories(staging);
      Files.writeString(staging.resolve("model.safetensors"), "new");
      Files.writeString(staging.resolve("alpharl_prediction.json"), "new");
      return 3;
    });
    assertThat(bytes).isEqualTo(3);
    assertThat(model.resolve("alpharl_prediction.json")).hasContent("new");
    assertThat(model.resolve("model-00002-of-00002.safetensors")).as("no file of the earlier model beside the new").doesNotExist();
    assertThat(StagedFolder.stagingOf(model)).doesNotExist();
  }

  /** A crash between moving the earlier model aside and deleting it leaves it beside the new one: the next write clears it. */
  @Test
  void anEarlierModelLeftAsideByACrashIsClearedByTheNextWrite() throws IOException {
    Path model = Files.createDirectories(dir.resolve("model"));
    Files.writeString(model.resolve("alpharl_prediction.json"), "old");
    Path replaced = model.toAbsolutePath().resolveSibling(".model.replaced");
    Files.createDirectories(replaced.resolve("not-empty")); // in the way of the move aside, were it kept
    Files.writeString(replaced.resolve("not-empty").resolve("f"), "x");
    StagedFolder.replace(model, staging -> {
      Files.createDirectories(staging);
      Files.writeString(staging.resolve("alpharl_prediction.json"), "new");
      return 3;
    });
    assertThat(model.resolve("alpharl_prediction.json")).hasContent("new");
    assertThat(replaced).doesNotExist();
  }

  /**
   * What a write killed part way left (a whole model's bytes, hidden) is deleted before the room for
   * the next is asked: counted as taken, the retry was refused for good on a tight disk.
   */
  @Test
  void whatAKilledWriteLeftIsTidiedBeforeTheNext() throws IOException {
    Path model = dir.resolve("model");
    Path staging = StagedFolder.stagingOf(StagedFolder.placeOf(model));
    Files.createDirectories(staging);
    Files.write(staging.resolve("model.safetensors"), new byte[4096]);
    StagedFolder.requireRoom(model, 1, "a model");
    assertThat(staging).doesNotExist();
    assertThat(model).as("nothing made in its place").doesNotExist();
  }

  /**
   * A crash after the earlier model was moved aside and before the new one was moved in leaves no
   * model in place: the one aside is the only copy, put back before the next write, so that a
   * failure of that write too leaves the earlier model (it was deleted first, leaving nothing).
   */
  @Test
  void anEarlierModelLeftAsideWithNoneInPlaceIsPutBackBeforeTheNextWrite() throws IOException {
    Path model = dir.resolve("model");
    Path replaced = leftAside(model, "old");
    assertThatThrownBy(() -> StagedFolder.replace(model, staging -> {
      throw new IOException("disk full");
    })).hasMessage("disk full");
    assertThat(model.resolve("alpharl_prediction.json")).as("the earlier model, back in place").hasContent("old");
    assertThat(replaced).doesNotExist();
  }

  /** What a write killed between its two moves leaves: {@code model} moved aside, holding {@code content}, and nothing in its place. */
  private static Path leftAside(Path model, String content) throws IOException {
    Path replaced = model.toAbsolutePath().resolveSibling(".model.replaced");
    Files.createDirectories(replaced);
    Files.writeString(replaced.resolve("alpharl_prediction.json"), content);
    return replaced;
  }

  /**
   * Asked before a published model's folder is read: a rewrite killed between its moves left the
   * model aside and the published path empty, which then looked never written and stayed empty.
   */
  @Test
  void tidyingAlonePutsBackAModelLeftAside() throws IOException {
    Path model = dir.resolve("model");
    Path replaced = leftAside(model, "published");
    StagedFolder.tidy(model);
    assertThat(model.resolve("alpharl_prediction.json")).hasContent("published");
    assertThat(replaced).doesNotExist();
  }

  /**
   * At an extrapolator's start, for every model of its own a kill cut off, not only for one written
   * again: other settings after a restart may never write that model again, and its staging stayed.
   */
  @Test
  void leftoversOfOwnModelsAreTidiedAtOnceAndOthersLeftAlone() throws IOException {
    Path run = Files.createDirectories(dir.resolve("run"));
    Path aside = run.resolve("step-40-step");
    Path replaced = Files.createDirectories(run.resolve(".step-40-step.replaced"));
    Files.writeString(replaced.resolve("alpharl_prediction.json"), "published");
    Path staging = Files.createDirectories(run.resolve(".step-60-step.writing"));
    Files.writeString(staging.resolve("model.safetensors"), "half");
    Path othersStaging = Files.createDirectories(run.resolve(".step-60-signal.writing"));
    Files.createDirectories(run.resolve(".hidden"));
    assertThat(StagedFolder.tidyLeftovers(run, m -> m.startsWith("step-") && m.endsWith("-step"))).isEqualTo(2);
    assertThat(aside.resolve("alpharl_prediction.json")).as("put back where no model stood").hasContent("published");
    assertThat(replaced).doesNotExist();
    assertThat(staging).doesNotExist();
    assertThat(othersStaging).as("another axis's").exists();
    assertThat(run.resolve(".hidden")).exists();
    assertThat(StagedFolder.tidyLeftovers(dir.resolve("none"), m -> true)).isZero();
  }

  /** A link as the folder: the moves acted on the link, and the folder it points at kept the earlier model under its real path. */
  @Test
  void aLinkedFolderIsReplacedWhereItLies() throws IOException {
    Path real = Files.createDirectories(dir.resolve("big").resolve("model"));
    Files.writeString(real.resolve("alpharl_prediction.json"), "old");
    Path link = Files.createSymbolicLink(dir.resolve("model"), Path.of("big", "model"));
    StagedFolder.replace(link, staging -> {
      Files.createDirectories(staging);
      Files.writeString(staging.resolve("alpharl_prediction.json"), "new");
      return 3;
    });
    assertThat(real.resolve("alpharl_prediction.json")).as("the real folder").hasContent("new");
    assertThat(link).as("still the link").isSymbolicLink();
    assertThat(link.resolve("alpharl_prediction.json")).hasContent("new");
    assertThat(StagedFolder.stagingOf(link)).isEqualTo(real.resolveSibling(".model.writing")).doesNotExist();
    assertThat(real.resolveSibling(".model.replaced")).doesNotExist();
  }

  /** A link to a folder not made yet: the model is made where it points. */
  @Test
  void aLinkToNothingYetGetsTheModelWhereItPoints() throws IOException {
    Files.createDirectories(dir.resolve("big"));
    Path link = Files.createSymbolicLink(dir.resolve("model"), dir.resolve("big").resolve("model"));
    StagedFolder.replace(link, staging -> {
      Files.createDirectories(staging);
      Files.writeString(staging.resolve("alpharl_prediction.json"), "new");
      return 3;
    });
    assertThat(dir.resolve("big").resolve("model").resolve("alpharl_prediction.json")).hasContent("new");
    assertThat(link).isSymbolicLink();
  }

  /** A relative link with ".." inside a linked folder leads where the kernel says, not where the path reads. */
  @Test
  void aRelativeLinkInALinkedFolderIsFollowedAsTheKernelFollowsIt() throws IOException {
    Path realLinks = Files.createDirectories(dir.resolve("elsewhere").resolve("links"));
    Path real = Files.createDirectories(dir.resolve("elsewhere").resolve("big").resolve("model"));
    Files.writeString(real.resolve("alpharl_prediction.json"), "old");
    Path links = Files.createSymbolicLink(dir.resolve("links"), realLinks);
    Files.createSymbolicLink(realLinks.resolve("model"), Path.of("..", "big", "model"));
    StagedFolder.replace(links.resolve("model"), staging -> {
      Files.createDirectories(staging);
      Files.writeString(staging.resolve("alpharl_prediction.json"), "new");
      return 3;
    });
    assertThat(real.resolve("alpharl_prediction.json")).hasContent("new");
    assertThat(dir.resolve("big")).as("not where the path reads").doesNotExist();
  }
}
