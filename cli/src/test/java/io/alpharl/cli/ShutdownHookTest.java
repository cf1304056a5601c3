package io.alpharl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ShutdownHookTest {

  @Test
  void aCancelledHookDoesNotRunAndASecondCancelAgrees() {
    AtomicBoolean ran = new AtomicBoolean();
    ShutdownHook hook = ShutdownHook.install("test-hook", () -> ran.set(true));
    assertTrue(hook.cancel());
    assertTrue(hook.cancel(), "cancelling twice is not an error");
    assertFalse(ran.get());
  }

  /** The race that used to throw: a command ending by itself while the JVM is already shutting down. */
  @Test
  void cancellingWhileTheJvmShutsDownAnswersFalseInsteadOfThrowing() throws Exception {
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), CancelDuringShutdown.class.getName()).redirectErrorStream(true).start();
    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM did not exit");
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals("hook ran; cancel during shutdown answered false", out);
    assertEquals(0, child.exitValue());
  }

  /** Runs in a child JVM: its hook, running at exit, stands for a command ending on its own at that moment. */
  public static final class CancelDuringShutdown {
    private static ShutdownHook hook;

    public static void main(String[] args) {
      hook = ShutdownHook.install("child-hook", () -> System.out.println("hook ran; cancel during shutdown answered " + hook.cancel()));
    }
  }
}
