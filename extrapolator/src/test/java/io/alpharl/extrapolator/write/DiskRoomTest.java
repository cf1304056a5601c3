package io.alpharl.extrapolator.write;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model larger than the room left is not begun: written, it filled the disk at every retry, a trainer's save on it failing. */
class DiskRoomTest {
  @TempDir
  Path dir;

  @Test
  void aWriteLargerThanTheRoomLeftIsRefusedNamingBoth() {
    long need = 15_000_000_000L;
    assertThatThrownBy(() -> DiskRoom.require(dir.resolve("run/step-40"), need, 10_000_000_000L, "the model predicted from step 40"))
        .isInstanceOf(DiskRoom.NoRoomException.class).hasMessageContaining("the model predicted from step 40 needs 15.07 GB in " + dir.resolve("run/step-40"))
        .hasMessageContaining("has 10.00 GB free");
    assertThatCode(() -> DiskRoom.require(dir, need, need + DiskRoom.MARGIN_BYTES, "x")).doesNotThrowAnyException();
    assertThatThrownBy(() -> DiskRoom.require(dir, need, need + DiskRoom.MARGIN_BYTES - 1, "x")).isInstanceOf(DiskRoom.NoRoomException.class);
  }

  @Test
  void aFolderNotMadeYetAsksItsNearestExistingOnesDisk() {
    assertThatCode(() -> DiskRoom.require(dir.resolve("a/b/c"), 1, "x")).doesNotThrowAnyException();
    assertThatThrownBy(() -> DiskRoom.require(dir.resolve("a/b/c"), Long.MAX_VALUE / 2, "x")).isInstanceOf(DiskRoom.NoRoomException.class)
        .hasMessageContaining("x needs");
  }
}
