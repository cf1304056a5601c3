package io.alpharl.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The files of a model directory besides its weights: config, generation config, tokenizer files
 * of every kind, chat templates. A predicted model and a replayed base need all of them to load,
 * and which ones a model has differs by family, so the rule is "everything but weights and
 * training state", not a list of names. Stateless.
 */
public final class ModelFiles {
  /** A file larger than this is refused loudly rather than carried (no tokenizer comes near it). */
  public static final long MAX_BYTES = 1L << 30;
  /**
   * Weights in any format, and the indexes of sharded ones: beside a predicted model's weights, a
   * base's ONNX export or {@code pytorch_model.bin.index.json} loads the base in a runtime that
   * reads those first, without a word. The hub's gpt2 also ships rust-bert's {@code rust_model.ot}
   * and TFLite exports, hundreds of MB each that were copied into every predicted model.
   */
  private static final List<String> WEIGHT_SUFFIXES = List.of(".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".msgpack", ".h5", ".gguf", ".npz",
      ".index.json", ".onnx", ".onnx_data", ".pkl", ".ot", ".tflite", ".mlmodel", ".keras", ".pb", ".llamafile");
  /** Training state: DeepSpeed's tag file and its converter, the trainer's own. */
  private static final Set<String> NOT_MODEL = Set.of("trainer_state.json", "progress.jsonl", "STOP", "latest", "zero_to_fp32.py");

  /**
   * Folders of model files: transformers saves named chat templates ({@code tool_use}, {@code rag})
   * as {@code additional_chat_templates/NAME.jinja}. Only those named: a checkpoint's other folders
   * hold training state or other formats' weights.
   */
  public static final List<String> FOLDERS = List.of("additional_chat_templates");

  /**
   * Where transformers reads a chat template from besides {@code tokenizer_config.json}: a template
   * in these files (and in {@link #FOLDERS}) wins over one inside the tokenizer's config when a
   * tokenizer is loaded.
   */
  public static final List<String> CHAT_TEMPLATE_FILES = List.of("chat_template.jinja", "chat_template.json");

  private ModelFiles() {}

  /**
   * Whether {@code dir}'s {@code tokenizer_config.json} holds a chat template itself, as
   * transformers before 4.50-odd saves it (and a trainer that set one may): laid over a folder
   * whose {@link #CHAT_TEMPLATE_FILES} came from elsewhere, those files, not this template, would be
   * the model's. A file that is not a JSON object holds none.
   */
  public static boolean holdsInlineChatTemplate(Path dir) {
    return jsonObject(dir.resolve("tokenizer_config.json")).map(c -> c.hasNonNull("chat_template")).orElse(false);
  }

  /**
   * A model file read as JSON, where it is a JSON object; empty where it is missing, unreadable or
   * something else. What a model's config and tokenizer config say is read through this: a folder's
   * files are the trainer's, and one this build does not understand says nothing.
   */
  public static java.util.Optional<com.fasterxml.jackson.databind.JsonNode> jsonObject(Path file) {
    if (!Files.isRegularFile(file)) {
      return java.util.Optional.empty();
    }
    try {
      com.fasterxml.jackson.databind.JsonNode c = JSON.readTree(file.toFile());
      return c != null && c.isObject() ? java.util.Optional.of(c) : java.util.Optional.empty();
    } catch (IOException e) {
      return java.util.Optional.empty();
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** The directory's model files, by name. */
  public static List<Path> of(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(Files::isRegularFile).filter(f -> isModelFile(f.getFileName().toString())).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /**
   * Reads them all, and those of its {@link #FOLDERS} under {@code FOLDER/NAME}, refusing a file
   * over {@link #MAX_BYTES}: a recording of the base that left the folders out replayed as a base
   * whose predicted models lacked the named chat templates the live run's have.
   */
  public static Map<String, byte[]> read(Path dir) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Path f : of(dir)) {
      out.put(f.getFileName().toString(), readSmall(f));
    }
    for (String folder : FOLDERS) {
      for (Path f : of(dir.resolve(folder))) {
        out.put(folder + "/" + f.getFileName(), readSmall(f));
      }
    }
    return out;
  }

  private static byte[] readSmall(Path f) {
    try {
      requireCarried(f);
      return Files.readAllBytes(f);
    } catch (IOException e) {
      throw new SafetensorsException("cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses a model file larger than {@link #MAX_BYTES}, which a recording and a predicted model
   * both carry whole: a dataset or an archive beside a single-file base went into every one.
   *
   * @throws SafetensorsException naming the file, its size and the limit
   */
  public static void requireCarried(Path f) throws IOException {
    long size = Files.size(f);
    if (size > MAX_BYTES) {
      throw new SafetensorsException(f + " is " + size + " bytes; model files besides the weights are carried up to " + MAX_BYTES
          + " bytes: move it out of the model's folder");
    }
  }

  static boolean isModelFile(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    // Nor a writer's partial file (this module's writers leave NAME.tmp where they are killed): carried, a weights file's partial copy
    // of gigabytes went into every predicted model and recording.
    return !name.startsWith(".") && !NOT_MODEL.contains(name) && WEIGHT_SUFFIXES.stream().noneMatch(lower::endsWith)
        && !lower.startsWith("rng_state") && !lower.endsWith(".tmp");
  }
}
