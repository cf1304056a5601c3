package io.alpharl.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.alpharl.safetensors.SafetensorsWriter.Declared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model directory the way Hugging Face does: one {@code model.safetensors} when the
 * tensors fit {@code maxShardBytes}, otherwise {@code model-0000k-of-0000n.safetensors} shards
 * filled in declaration order plus {@code model.safetensors.index.json} (total size and the
 * tensor-to-shard map). A tensor larger than a shard gets a shard of its own.
 */
public final class ShardedCheckpointWriter {
  private static final ObjectMapper JSON = new ObjectMapper();


  private final long maxShardBytes;
  private final Map<String, String> metadata;
  private final List<Declared> tensors = new ArrayList<>();

  public ShardedCheckpointWriter(long maxShardBytes, Map<String, String> metadata) {
    if (maxShardBytes < 1) {
      throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
    }
    this.maxShardBytes = maxShardBytes;
    this.metadata = Map.copyOf(metadata);
  }

  public ShardedCheckpointWriter add(String name, DType dtype, List<Long> shape) {
    tensors.add(Declared.floats(name, dtype, shape));
    return this;
  }

  /** An integer or boolean tensor written as the given bytes ({@link SafetensorsWriter#addBytes}). */
  public ShardedCheckpointWriter addBytes(String name, String dtype, List<Long> shape, java.nio.ByteBuffer bytes) {
    tensors.add(Declared.buffer(name, dtype, shape, bytes)); // checked when declared, not when its shard is written
    return this;
  }

  /**
   * Writes the weights into {@code dir}; {@code source} is asked for each float tensor once, in order.
   *
   * @return the files written (the index last, when there is one)
   */
  public List<Path> writeTo(Path dir, SafetensorsWriter.TensorSource source) throws IOException {
    Files.createDirectories(dir);
    List<List<Declared>> shards = new ArrayList<>();
    long current = Long.MAX_VALUE;
    for (Declared t : tensors) {
      if (shards.isEmpty() || (current + t.bytes() > maxShardBytes && current > 0)) {
        shards.add(new ArrayList<>());
        current = 0;
      }
      shards.get(shards.size() - 1).add(t);
      current += t.bytes();
    }
    List<Path> written = new ArrayList<>();
    if (shards.size() <= 1) {
      written.add(writeShard(dir.resolve(Checkpoint.SINGLE_FILE), shards.isEmpty() ? List.of() : shards.get(0), source));
      Files.deleteIfExists(dir.resolve(Checkpoint.INDEX_FILE));
      return written;
    }
    Map<String, String> weightMap = new LinkedHashMap<>();
    long total = 0;
    for (int i = 0; i < shards.size(); i++) {
      // Locale.ROOT: under a locale of other digits (fa-IR) the names and the index were other bytes, which loaders do not find.
      String name = String.format(java.util.Locale.ROOT, "model-%05d-of-%05d.safetensors", i + 1, shards.size());
      written.add(writeShard(dir.resolve(name), shards.get(i), source));
      for (Declared t : shards.get(i)) {
        weightMap.put(t.name(), name);
        total += t.bytes();
      }
    }
    ObjectNode index = JSON.createObjectNode();
    index.putObject("metadata").put("total_size", total);
    ObjectNode map = index.putObject("weight_map");
    weightMap.forEach(map::put);
    Path indexFile = dir.resolve(Checkpoint.INDEX_FILE);
    Path tmp = dir.resolve(Checkpoint.INDEX_FILE + ".tmp");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), index);
    Files.move(tmp, indexFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    Files.deleteIfExists(dir.resolve(Checkpoint.SINGLE_FILE));
    written.add(indexFile);
    return written;
  }

  private Path writeShard(Path file, List<Declared> shard, SafetensorsWriter.TensorSource source) throws IOException {
    SafetensorsWriter w = new SafetensorsWriter(metadata);
    shard.forEach(w::add);
    w.writeTo(file, source);
    return file;
  }
}
