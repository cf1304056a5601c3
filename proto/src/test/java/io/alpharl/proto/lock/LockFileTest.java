package io.alpharl.proto.lock;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockFileTest {
  @TempDir
  Path dir;

  /**
   * A second owner in this process is refused before it opens the file (a channel of it, opened and
   * closed, drops the first owner's lock on Linux); the lock is the first's until it closes it.
   */
  @Test
  void oneOwnerAtATimeAndARefusedOneReleasesNothing() throws Exception {
    Path file = dir.resolve("x.lock");
    Optional<LockFile> first = LockFile.tryTake(file);
    assertThat(first).isPresent();
    assertThat(LockFile.tryTake(dir.resolve("./x.lock"))).as("the same file, named otherwise").isEmpty();
    Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link"), dir);
    assertThat(LockFile.tryTake(link.resolve("x.lock"))).as("the same file, through a link to its folder").isEmpty();
    first.get().close();
    first.get().close(); // a second close releases nothing another owner took since
    Optional<LockFile> again = LockFile.tryTake(file);
    assertThat(again).as("free once its owner closed it").isPresent();
    again.get().close();
  }

}
