package io.alpharl.processor.run;

import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A run's modelled modules as its manifest lists them: their index (the bit a step's progress
 * sets when the module's factors arrive), names sorted (the order fits list them) and shapes.
 * Derived from the manifest alone, so it needs no store of its own.
 */
final class ModelledModules {
  private final Map<String, Integer> index = new HashMap<>();
  private final Map<String, TensorInfo> info = new HashMap<>();
  private final List<String> sorted;

  ModelledModules(RunManifest manifest) {
    for (TensorInfo t : manifest.getTensorsList()) {
      if (t.getModelled() && t.getShapeCount() == 2) {
        index.put(t.getName(), index.size());
        info.put(t.getName(), t);
      }
    }
    List<String> names = new ArrayList<>(index.keySet());
    names.sort(null);
    this.sorted = List.copyOf(names);
  }

  int count() {
    return index.size();
  }

  /** The module's bit, or -1 when the manifest does not model it. */
  int indexOf(String module) {
    return index.getOrDefault(module, -1);
  }

  TensorInfo info(String module) {
    return info.get(module);
  }

  List<String> sortedNames() {
    return sorted;
  }
}
