package io.alpharl.bench.restart;

import java.util.Locale;

/** The service a case kills with SIGKILL and starts again. */
enum Victim {
  PROCESSOR, EXTRAPOLATOR, AGENT;

  /** The name used in the report's keys and table. */
  String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
