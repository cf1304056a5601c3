package io.alpharl.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a model folder carries besides its weights: everything a model loads with, nothing that would load other weights. */
class ModelFilesTest {
  @TempDir
  Path dir;

  @Test
  void carriesConfigAndTokenizerButNoWeightsIndexesOrTrainingState() throws Exception {
    List<String> carried = List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "chat_template.jinja", "vocab.txt", "merges.txt", "README.md");
    List<String> left = List.of("model.safetensors", "model-00001-of-00002.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
        "pytorch_model.bin.index.json", "tf_model.h5", "model.onnx", "model.onnx_data", "optimizer.pt", "scheduler.pt", "training_args.bin",
        "trainer_state.json", "rng_state_0.pth", "latest", "zero_to_fp32.py", "STOP", "progress.jsonl", "state.pkl", "rust_model.ot", "64-8bits.tflite",
        "model.mlmodel", "tf_model.keras", "saved_model.pb", "model.llamafile", ".hidden", "model.safetensors.tmp", "model.safetensors.index.json.tmp");
    for (String name : carried) {
      Files.writeString(dir.resolve(name), name);
    }
    for (String name : left) {
      Files.writeString(dir.resolve(name), name);
    }
    assertThat(ModelFiles.of(dir)).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrderElementsOf(carried);
  }
}
