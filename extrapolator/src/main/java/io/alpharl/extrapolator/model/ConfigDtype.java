package io.alpharl.extrapolator.model;

import io.alpharl.safetensors.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A predicted model's {@code config.json} made to name the dtype its weights are written in. The
 * live extrapolator copies the base's config, and a trainer that loads a bf16 base in f32 saves
 * f32 checkpoints, so the model is written in f32 under a config saying bfloat16: transformers'
 * {@code dtype="auto"} reads the config first and loaded it in bf16, rounding away the updates f32
 * keeps (vLLM's "auto" downcasts an f32 model whatever the config says; README says so). Only the dtype's value is replaced, in place, so the rest of the file is the
 * user's bytes. Stateless.
 */
final class ConfigDtype {
  static final String FILE = "config.json";
  /** transformers' {@code torch_dtype} and its newer name {@code dtype}, nested configs' included, where they name a float dtype. */
  private static final Pattern KEY = Pattern.compile("(\"(?:torch_dtype|dtype)\"\\s*:\\s*\")(float32|float16|bfloat16)(\")");

  private ConfigDtype() {}

  /** The dtype of most of the weights' values: the one a loader should load them in (ties to the first in {@link DType}'s order). */
  static DType mostOf(Map<DType, Long> valuesByDtype) {
    DType most = null;
    for (DType d : DType.values()) {
      long n = valuesByDtype.getOrDefault(d, 0L);
      if (n > 0 && (most == null || n > valuesByDtype.get(most))) {
        most = d;
      }
    }
    return most;
  }

  /** Rewrites {@code dir}'s config to name {@code written}, if it names another float dtype; a folder without a config is left as it is. */
  static void name(Path dir, DType written) throws IOException {
    Path config = dir.resolve(FILE);
    if (written == null || !Files.isRegularFile(config)) {
      return;
    }
    String text = Files.readString(config, StandardCharsets.UTF_8);
    Matcher m = KEY.matcher(text);
    String named = m.replaceAll(r -> Matcher.quoteReplacement(r.group(1) + torchName(written) + r.group(3)));
    if (!named.equals(text)) {
      // A link to a config outside the folder is replaced, not written through: that file is the user's base.
      Files.delete(config);
      Files.writeString(config, named, StandardCharsets.UTF_8);
    }
  }

  static String torchName(DType d) {
    return switch (d) {
      case F32 -> "float32";
      case BF16 -> "bfloat16";
      case F16 -> "float16";
    };
  }
}
