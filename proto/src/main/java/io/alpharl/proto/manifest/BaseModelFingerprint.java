package io.alpharl.proto.manifest;

import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.Checkpoint;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The base model W_0 a run started from, as the CRC32C of each tensor's stored bytes. The run's
 * log holds only W_t − W_0, and the manifest names W_0 by its path alone; a path whose file was
 * replaced (another revision downloaded, another machine's copy) gives a predicted model that is
 * wrong without a word, and an agent resumed on it sends deltas against another W_0. The agent
 * stamps the fingerprint into the manifest ({@code TensorInfo.base_crc32c}); readers of the base
 * model compare it with the file they find.
 *
 * @param crcs   CRC32C by tensor name
 * @param shapes the tensors' shapes where known (a manifest's), to say why one is missing
 */
public record BaseModelFingerprint(Map<String, Integer> crcs, Map<String, List<Long>> shapes) {
  public BaseModelFingerprint {
    crcs = Collections.unmodifiableMap(new TreeMap<>(crcs));
    shapes = Map.copyOf(shapes);
  }

  public BaseModelFingerprint(Map<String, Integer> crcs) {
    this(crcs, Map.of());
  }

  /** The same fingerprint is the same CRCs: the shapes only help say why a tensor is missing. */
  @Override
  public boolean equals(Object o) {
    return o instanceof BaseModelFingerprint f && f.crcs.equals(crcs);
  }

  @Override
  public int hashCode() {
    return crcs.hashCode();
  }

  /** Reads every tensor of {@code base} once. */
  public static BaseModelFingerprint of(Checkpoint base) {
    Map<String, Integer> crcs = new TreeMap<>();
    base.tensors().keySet().forEach(name -> crcs.put(name, base.crc32c(name)));
    return new BaseModelFingerprint(crcs);
  }

  /** What a manifest says of its base; empty when it says nothing (written before fingerprints). */
  public static Optional<BaseModelFingerprint> of(RunManifest manifest) {
    Map<String, Integer> crcs = new TreeMap<>();
    Map<String, List<Long>> shapes = new TreeMap<>();
    for (TensorInfo t : manifest.getTensorsList()) {
      if (!t.hasBaseCrc32C()) {
        return Optional.empty();
      }
      crcs.put(t.getName(), t.getBaseCrc32C());
      shapes.put(t.getName(), t.getShapeList());
    }
    return crcs.isEmpty() ? Optional.empty() : Optional.of(new BaseModelFingerprint(crcs, shapes));
  }

  /** The manifest's tensors with this fingerprint stamped on each. */
  public void stamp(RunManifest.Builder manifest) {
    for (TensorInfo.Builder t : manifest.getTensorsBuilderList()) {
      Integer crc = crcs.get(t.getName());
      if (crc == null) {
        throw new IllegalArgumentException("no fingerprint of tensor " + t.getName()
            + io.alpharl.safetensors.ComputedBuffers.whyMissing(t.getName(), t.getShapeList()).orElse(""));
      }
      t.setBaseCrc32C(crc);
    }
  }

  /**
   * How the base model found now ({@code this}) differs from the run's, said for a person: the
   * first tensor that is missing, added or holds other bytes, and how many differ in all; empty
   * when the base holds exactly the run's tensors with the same bytes. A tensor added (a base
   * saved again with an untied head) counts: the run never streamed it, so its deltas are refused
   * as following steps never sent, and a predicted model would write it at W_0.
   */
  public Optional<String> mismatch(BaseModelFingerprint run) {
    String first = null;
    int differing = 0;
    for (Map.Entry<String, Integer> e : run.crcs.entrySet()) {
      Integer here = crcs.get(e.getKey());
      if (here == null || !here.equals(e.getValue())) {
        differing++;
        if (first == null) {
          first = here == null ? "it has no tensor " + e.getKey()
              + io.alpharl.safetensors.ComputedBuffers.whyMissing(e.getKey(), run.shapes.getOrDefault(e.getKey(), List.of())).orElse("")
              : String.format(Locale.ROOT, "tensor %s holds other bytes (CRC32C %08x, the run's %08x)", e.getKey(), here, e.getValue());
        }
      }
    }
    for (String name : crcs.keySet()) {
      if (!run.crcs.containsKey(name)) {
        differing++;
        if (first == null) {
          first = "it has tensor " + name + ", which the run's base had not";
        }
      }
    }
    return first == null ? Optional.empty() : Optional.of(first + (differing > 1 ? ", and " + (differing - 1) + " more tensors differ" : ""));
  }
}
