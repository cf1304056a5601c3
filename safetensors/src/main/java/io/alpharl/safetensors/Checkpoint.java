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
import java.util.Optional;
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
  private final Map<String, String> others;
  private final Map<String, Optional<String>> ties = new java.util.concurrent.ConcurrentHashMap<>();

  private Checkpoint(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileOf) {
    this.dir = dir;
    this.files = files;
    this.fileOf = fileOf;
    Map<String, TensorEntry> t = new TreeMap<>();
    Map<String, String> o = new TreeMap<>();
    fileOf.forEach((name, f) -> {
      TensorEntry e = f.tensors().get(name);
      if (e != null) {
        t.put(name, e);
      } else {
        o.put(name, f.otherTensors().get(name));
      }
    });
    this.tensors = Collections.unmodifiableMap(t);
    this.others = Collections.unmodifiableMap(o);
  }

  /**
   * Opens a checkpoint directory ({@code model.safetensors}, else the shards its index names), or a
   * single {@code .safetensors} file.
   *
   * @throws SafetensorsException naming the file and the problem
   */
  public static Checkpoint open(Path path) {
    if (Files.isRegularFile(path)) {
      SafetensorsFile f = SafetensorsFile.open(path);
      Map<String, SafetensorsFile> of = new LinkedHashMap<>();
      f.tensors().keySet().forEach(n -> of.put(n, f));
      f.otherTensors().keySet().forEach(n -> of.put(n, f));
      // Absolute: a bare file name has no parent, and the folder is where config.json and the tokenizer are looked for.
      return new Checkpoint(path.toAbsolutePath().getParent(), List.of(f), of);
    }
    // transformers' order (from_pretrained looks for model.safetensors first): its save_pretrained leaves an older save's index
    // behind when it writes one file, and the model a user loads from the folder is the single file's.
    if (Files.isRegularFile(path.resolve(SINGLE_FILE))) {
      return open(path.resolve(SINGLE_FILE));
    }
    if (Files.isRegularFile(path.resolve(INDEX_FILE))) {
      return openSharded(path);
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
      // Jackson's own message runs over two lines (its source location): one line for the user.
      String why = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new SafetensorsException(indexPath + ": not valid JSON: " + why, e);
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
        if (!f.holds(e.getKey())) {
          throw new SafetensorsException(indexPath + ": maps " + e.getKey() + " to " + shard + ", which has no such tensor");
        }
        of.put(e.getKey(), f);
      }
      for (SafetensorsFile f : opened) {
        List<String> held = new ArrayList<>(f.tensors().keySet());
        held.addAll(f.otherTensors().keySet());
        for (String name : held) {
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

  /** The float tensors (F32, BF16, F16) by name, in name order: the model's weights as this reader converts them. */
  public Map<String, TensorEntry> tensors() {
    return tensors;
  }

  /**
   * Integer and boolean tensors by name, with their dtype: buffers (the {@code position_ids} older
   * BERT-family saves keep), not weights; listed, never converted. Float tensors the model computes
   * ({@link ComputedBuffers}) are among them.
   */
  public Map<String, String> otherTensors() {
    return others;
  }

  /** An integer or boolean tensor of {@link #otherTensors}, with its shape and place. */
  public BufferEntry buffer(String name) {
    return file(name).buffer(name);
  }

  /** A buffer's bytes as the file holds them (mapped read-only). */
  public java.nio.ByteBuffer bufferBytes(String name) {
    return file(name).bufferBytes(name);
  }

  public TensorEntry tensor(String name) {
    TensorEntry e = tensors.get(name);
    return e != null ? e : file(name).tensor(name); // an integer buffer's file says what it is
  }

  /**
   * Where each of the base's tensors is found in this checkpoint, checked from the headers (values
   * are checked as they are read): a delta against the base is defined only for the base's tensors
   * with the base's shapes. A tensor is read under its own name; an output head the checkpoint does
   * not store is read from the embedding it is tied to in the base ({@link #tiedHead}):
   * {@code save_pretrained} drops a tied {@code lm_head.weight} that hub files of the base may
   * store. Tensors only the checkpoint has (a tied head saved untied, a value head) are not the
   * base's model: they are listed, not read. A base saved without its model's prefix is read under
   * it ({@link #prefixOver}).
   *
   * @throws SafetensorsException naming this checkpoint's folder and the first difference
   */
  public TensorSources sourcesFor(Checkpoint base) {
    Map<String, String> source = new TreeMap<>();
    String prefix = prefixOver(base);
    for (TensorEntry t : base.tensors().values()) {
      String name = prefix + t.name();
      TensorEntry found = tensors.get(name);
      if (found == null) {
        Optional<String> tie = base.tiedHead(t.name()).map(e -> prefix + e).filter(tensors::containsKey).or(() -> headKeptFor(base, t));
        if (tie.isEmpty()) {
          String other = others.get(name);
          String as = prefix.isEmpty() ? "" : " as " + t.name();
          throw new SafetensorsException(dir + (other != null ? ": tensor " + name + " is " + other + ", the base has it" + as + " as " + t.dtype()
              : ": has no tensor " + name + " (the base has it" + as + ")"));
        }
        name = tie.get();
        found = tensors.get(name);
      }
      if (!found.shape().equals(t.shape())) {
        throw new SafetensorsException(dir + ": tensor " + found.name() + " has shape " + found.shape() + ", the base has " + t.shape());
      }
      source.put(t.name(), name);
    }
    List<String> extra = tensors.keySet().stream().filter(n -> !base.tensors().containsKey(n) && !source.containsValue(n)).toList();
    return new TensorSources(source, extra);
  }

  /**
   * The prefix this checkpoint puts before every name of {@code base}, or "" where they share
   * names. A hub file saved from a model's headless class ({@code GPT2Model}: {@code h.0.attn.c_attn.weight},
   * {@code wte.weight}) names its tensors without the attribute a model with a head keeps it under,
   * and a trainer saves the model with its head ({@code transformer.h.0.attn.c_attn.weight});
   * transformers loads one as the other by its {@code base_model_prefix}. Taken only where no
   * tensor of the base is found under its own name and one first segment, the only one found
   * before the first of the base's tensors that has one (a tied embedding the checkpoint dropped
   * has none) and named by none of the base's tensors, makes it found; any tensor of the base it
   * then does not find is refused by name, as without a prefix.
   */
  private String prefixOver(Checkpoint base) {
    if (base.tensors().isEmpty() || base.tensors().keySet().stream().anyMatch(tensors::containsKey)) {
      return "";
    }
    // Each of this checkpoint's names by what follows its first segment: one pass, not one per tensor of the base.
    Map<String, List<String>> prefixesOf = new java.util.HashMap<>();
    for (String n : tensors.keySet()) {
      int dot = n.indexOf('.');
      if (dot >= 0) {
        prefixesOf.computeIfAbsent(n.substring(dot + 1), k -> new ArrayList<>()).add(n.substring(0, dot + 1));
      }
    }
    for (String name : base.tensors().keySet()) {
      List<String> prefixes = prefixesOf.getOrDefault(name, List.of());
      if (prefixes.size() > 1) {
        return "";
      }
      if (prefixes.size() == 1) {
        String prefix = prefixes.get(0);
        return base.tensors().keySet().stream().anyMatch(n -> n.startsWith(prefix)) ? "" : prefix;
      }
    }
    return "";
  }

  /**
   * The output head this checkpoint kept in place of a tied embedding it does not store: torch's
   * {@code safetensors.torch.save_model} keeps one name of tensors that share storage, the first
   * in sorted order, and {@code lm_head.weight} sorts before {@code model.embed_tokens.weight}. Taken
   * only where the tie is known: the base stores the head bit-identical to the embedding, or stores
   * no head and has a {@code config.json} that ties ({@code tie_word_embeddings}, true where absent,
   * as transformers reads it); and only one head of the
   * embedding's shape (in any dtype: an f32 run of a bf16 base keeps its head in f32) that the base
   * does not name otherwise.
   */
  private Optional<String> headKeptFor(Checkpoint base, TensorEntry embedding) {
    String name = embedding.name();
    if (!isEmbedding(name)) {
      return Optional.empty();
    }
    Optional<String> baseHead = base.tensors().keySet().stream().filter(h -> base.tiedHead(h).equals(Optional.of(name))).findFirst();
    if (baseHead.isPresent()) {
      return baseHead.filter(tensors::containsKey);
    }
    if (base.storesHead() || !base.tiesWordEmbeddings()) {
      return Optional.empty();
    }
    List<String> heads = tensors.values().stream().filter(h -> isHead(h.name()) && !base.tensors().containsKey(h.name())
        && h.shape().equals(embedding.shape())).map(TensorEntry::name).toList(); // any dtype: an f32 run of a bf16 base keeps its head in f32
    return heads.size() == 1 ? Optional.of(heads.get(0)) : Optional.empty();
  }

  private static boolean isHead(String name) {
    return name.endsWith("lm_head.weight") || name.endsWith("embed_out.weight");
  }

  /** What a head may be tied to, by name: an input embedding ({@code embed_tokens}, GPT-2's {@code wte}). */
  private static boolean isEmbedding(String name) {
    return name.contains("embed") || name.contains("wte");
  }

  /** Whether this folder's config.json says the model's input and output embeddings are one tensor. */
  private boolean tiesWordEmbeddings() {
    return tiesWordEmbeddings(dir).orElse(false);
  }

  /** Whether this checkpoint stores an output head ({@code lm_head.weight}, {@code embed_out.weight}, under any prefix). */
  public boolean storesHead() {
    return tensors.keySet().stream().anyMatch(Checkpoint::isHead);
  }

  /**
   * What {@code dir}'s config.json says of tying the model's input and output embeddings into one
   * tensor; empty where there is no such file or it is not a JSON object.
   */
  public static Optional<Boolean> tiesWordEmbeddings(Path dir) {
    // transformers' PretrainedConfig ties by default: a config without the key (GPT-2's) ties.
    return ModelFiles.jsonObject(dir.resolve("config.json")).map(c -> c.path("tie_word_embeddings").asBoolean(true));
  }

  /**
   * The embedding an output head of this checkpoint is tied to: for a head's name
   * ({@code lm_head.weight}, {@code embed_out.weight}, optionally under a prefix), the one
   * embedding ({@code embed} or {@code wte} in its name) with the same shape, dtype and stored
   * bytes. Only heads: other tensors can be equal by value without being one (every layer's norm
   * starts at ones), and reading one for another would be silently wrong. Computed once per name.
   */
  public Optional<String> tiedHead(String name) {
    return ties.computeIfAbsent(name, this::findTie);
  }

  private Optional<String> findTie(String name) {
    TensorEntry head = tensors.get(name);
    if (head == null || !isHead(name)) {
      return Optional.empty();
    }
    List<String> twins = new ArrayList<>();
    for (TensorEntry t : tensors.values()) {
      if (!t.name().equals(name) && isEmbedding(t.name()) && t.shape().equals(head.shape())
          && t.dtype() == head.dtype() && crc32c(t.name()) == crc32c(name) && sameValues(t.name(), name, head.elementCount())) {
        twins.add(t.name());
      }
    }
    return twins.size() == 1 ? Optional.of(twins.get(0)) : Optional.empty();
  }

  /** Bit for bit, a chunk at a time: an embedding is the largest tensor of a model, and no tensor is held whole. */
  private boolean sameValues(String a, String b, long elements) {
    int chunk = (int) Math.min(elements, 1 << 20);
    float[] x = new float[chunk];
    float[] y = new float[chunk];
    for (long from = 0; from < elements; from += chunk) {
      int count = (int) Math.min(chunk, elements - from);
      readFloats(a, from, x, 0, count);
      readFloats(b, from, y, 0, count);
      for (int i = 0; i < count; i++) {
        if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
          return false;
        }
      }
    }
    return true;
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
    SafetensorsFile f = fileOf.get(name); // any dtype: reading an integer buffer is refused by its file, which names it
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
