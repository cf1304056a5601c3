package io.alpharl.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A model's weights in a directory, as Hugging Face writes them: one {@code model.safetensors},
 * or shards listed by {@code model.safetensors.index.json}. Every shard is opened and validated
 * up front, and the index must name exactly the tensors the shards hold.
 *
 * <p>Owns its open files; {@link #close} releases them.
 */
public final class Checkpoint implements AutoCloseable {
  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileOf;
  private final Map<String, TensorEntry> tensors;

  private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOf) {
    this.dir = dir;
    this.files = files;
    this.fileOf = fileOf;
    Map<String, TensorEntry> t = new TreeMap<>();
    fileOf.forEach((name, f) -> t.put(name, f.tensor(name)));
    this.tensors = Collections.unmodifiableMap(t);
  }

  /** True when {@code dir} has the weight files a checkpoint needs (not whether they are valid). */
  public static boolean hasWeights(Path dir) {
    return Files.isRegularFile(dir.resolve(SINGLE_FILE)) || Files.isRegularFile(dir.resolve(INDEX_FILE));
  }

  /**
   * Opens a checkpoint directory, or a single {@code .safetensors} file.
   *
   * @throws SafetensorsException naming the file and the problem
   */
  public static Checkpoint open(Path path) {
    if (Files.isRegularFile(path)) {
      SafetensorsFile f = SafetensorsFile.open(path);
      Map<String, SafetensorsFile> of = new LinkedHashMap<>();
      f.tensors().keySet().forEach(n -> of.put(n, f));
      return new Checkpoint(path.getParent(), List.of(f), of);
    }
    if (Files.isRegularFile(path.resolve(INDEX_FILE))) {
      return openSharded(path);
    }
    if (Files.isRegularFile(path.resolve(SINGLE_FILE))) {
      return open(path.resolve(SINGLE_FILE));
    }
    throw new SafetensorsException(path + ": neither " + SINGLE_FILE + " nor " + INDEX_FILE + " found");
  }

  private static Checkpoint openSharded(Path dir) {
    Path indexPath = dir.resolve(INDEX_FILE);
    JsonNode weightMap;
    try {
      JsonNode index = JSON.readTree(indexPath.toFile());
      weightMap = index == null ? null : index.get("weight_map");
    } catch (IOException e) {
      throw new SafetensorsException(indexPath + ": not valid JSON: " + e.getMessage(), e);
    }
    if (weightMap == null || !weightMap.isObject()) {
      throw new SafetensorsException(indexPath + ": has no weight_map object");
    }
    Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
    Map<String, SafetensorsFile> of = new LinkedHashMap<>();
    List<SafetensorsFile> opened = new ArrayList<>();
    try {
      for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String shard = e.getValue().asText();
        if (shard.contains("/") || shard.contains("\\")) {
          throw new SafetensorsException(indexPath + ": shard name " + shard + " must be a file name in the same directory");
        }
        SafetensorsFile f = byShard.get(shard);
        if (f == null) {
          f = SafetensorsFile.open(dir.resolve(shard));
          byShard.put(shard, f);
          opened.add(f);
        }
        if (!f.tensors().containsKey(e.getKey())) {
          throw new SafetensorsException(indexPath + ": maps " + e.getKey() + " to " + shard + ", which has no such tensor");
        }
        of.put(e.getKey(), f);
      }
      for (SafetensorsFile f : opened) {
        for (String name : f.tensors().keySet()) {
          if (of.get(name) != f) {
            throw new SafetensorsException(f.path() + ": holds " + name + ", which " + INDEX_FILE + " does not map to it");
          }
        }
      }
    } catch (RuntimeException e) {
      opened.forEach(SafetensorsFile::close);
      throw e;
    }
    return new Checkpoint(dir, List.copyOf(opened), of);
  }

  public Path dir() {
    return dir;
  }

  /** All tensors by name, in name order. */
  public Map<String, TensorEntry> tensors() {
    return tensors;
  }

  public TensorEntry tensor(String name) {
    TensorEntry e = tensors.get(name);
    if (e == null) {
      throw new SafetensorsException(dir + ": checkpoint has no tensor " + name);
    }
    return e;
  }

  /**
   * Checks, from the headers alone, that this checkpoint has exactly the tensors of {@code base}
   * with the same shapes: a delta against the base is defined only then. Values are checked as
   * they are read.
   *
   * @throws SafetensorsException naming this checkpoint's folder and the first difference
   */
  public void requireSameTensorsAs(Checkpoint base) {
    for (TensorEntry t : base.tensors().values()) {
      TensorEntry found = tensors.get(t.name());
      if (found == null) {
        throw new SafetensorsException(dir + ": has no tensor " + t.name() + " (the base has it)");
      }
      if (!found.shape().equals(t.shape())) {
        throw new SafetensorsException(dir + ": tensor " + t.name() + " has shape " + found.shape() + ", the base has " + t.shape());
      }
    }
    for (String name : tensors.keySet()) {
      if (!base.tensors().containsKey(name)) {
        throw new SafetensorsException(dir + ": has tensor " + name + ", which the base does not have");
      }
    }
  }

  public void readFloats(String name, FloatBuffer dst) {
    file(name).readFloats(name, dst);
  }

  public float[] floats(String name) {
    return file(name).floats(name);
  }

  /** CRC32C of a tensor's stored bytes ({@link SafetensorsFile#crc32c}). */
  public int crc32c(String name) {
    return file(name).crc32c(name);
  }

  /** Elements {@code [from, from + count)} of a tensor as f32 (see {@link SafetensorsFile#readFloats(String, long, float[], int, int)}). */
  public void readFloats(String name, long from, float[] dst, int offset, int count) {
    file(name).readFloats(name, from, dst, offset, count);
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile f = fileOf.get(name);
    if (f == null) {
      throw new SafetensorsException(dir + ": checkpoint has no tensor " + name);
    }
    return f;
  }

  @Override
  public void close() {
    files.forEach(SafetensorsFile::close);
  }
}
