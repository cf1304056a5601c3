package io.alpharl.bench.scale.model;

import io.alpharl.safetensors.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code custom} preset's shapes file: one tensor a line, {@code name dtype d0 d1 ...}
 * (dtype F32, BF16 or F16); blank lines and lines starting with {@code #} are skipped.
 * {@link #format} writes the same layout, so a preset can be printed, cut down and read back.
 */
public final class ShapesFile {
  private ShapesFile() {}

  /** Reads a shapes file; a bad line is an {@link IllegalArgumentException} naming the file and line. */
  public static ModelSpec read(Path file) throws IOException {
    return parse(file.toString(), Files.readAllLines(file));
  }

  static ModelSpec parse(String source, List<String> lines) {
    List<TensorSpec> tensors = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\\s+");
      String where = source + " line " + (i + 1);
      if (f.length < 3) {
        throw new IllegalArgumentException(where + ": expected 'name dtype d0 [d1 ...]', got '" + line + "'");
      }
      DType dtype;
      try {
        dtype = DType.valueOf(f[1].toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": dtype " + f[1] + " is not one of F32, BF16, F16");
      }
      List<Long> shape = new ArrayList<>();
      for (int k = 2; k < f.length; k++) {
        try {
          shape.add(Long.parseLong(f[k]));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(where + ": dimension '" + f[k] + "' is not a whole number");
        }
      }
      try {
        tensors.add(new TensorSpec(f[0], dtype, shape));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage());
      }
    }
    if (tensors.isEmpty()) {
      throw new IllegalArgumentException(source + ": no tensors");
    }
    try {
      return new ModelSpec("custom (" + source + ")", tensors, Map.of("model_type", "custom"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage());
    }
  }

  /** The model's tensors in this file's layout. */
  public static String format(ModelSpec model) {
    StringBuilder b = new StringBuilder("# ").append(model.name()).append(": ").append(model.parameters()).append(" parameters\n");
    for (TensorSpec t : model.tensors()) {
      b.append(t.name()).append(' ').append(t.dtype());
      t.shape().forEach(d -> b.append(' ').append(d));
      b.append('\n');
    }
    return b.toString();
  }
}
