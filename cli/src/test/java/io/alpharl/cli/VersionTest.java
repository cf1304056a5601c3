package io.alpharl.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class VersionTest {
  /** Each subcommand's help offers -V: it printed nothing below the top command. */
  @Test
  void everyCommandSaysItsVersion() {
    for (List<String> args : List.of(List.of("-V"), List.of("demo", "-V"), List.of("agent", "watch", "--version"), List.of("status", "-V"))) {
      StringWriter out = new StringWriter();
      CommandLine cli = AlphaRl.commandLine();
      cli.setOut(new PrintWriter(out, true));
      assertThat(cli.execute(args.toArray(String[]::new))).as("%s", args).isZero();
      assertThat(out.toString()).as("%s", args).startsWith("alpharl ");
    }
  }
}
