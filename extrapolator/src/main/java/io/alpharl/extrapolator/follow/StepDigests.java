package io.alpharl.extrapolator.follow;

import io.alpharl.extrapolator.scan.CommittedDigests;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The per-tensor CRC32C digests of a run's commit markers, in 4 bytes a tensor a step. Held in the
 * markers themselves they cost 30-50 KB a step at 290 tensors (each entry a message with the
 * tensor's name), hundreds of MB over a long run, for a check made only when a model is written.
 * A run's commits name the same tensors in the same order step after step, so the names are kept
 * once and shared. Not thread-safe.
 */
final class StepDigests implements CommittedDigests {
  /** The tensors one or more steps' digests name, in their order, with each name's first position. */
  private record Names(List<String> order, Map<String, Integer> index) {
    static Names of(List<TensorDigest> digests) {
      List<String> order = new ArrayList<>(digests.size());
      Map<String, Integer> index = new HashMap<>();
      for (TensorDigest d : digests) {
        index.putIfAbsent(d.getTensorName(), order.size());
        order.add(d.getTensorName());
      }
      return new Names(List.copyOf(order), index);
    }

    boolean sameAs(List<TensorDigest> digests) {
      if (digests.size() != order.size()) {
        return false;
      }
      for (int i = 0; i < order.size(); i++) {
        if (!digests.get(i).getTensorName().equals(order.get(i))) {
          return false;
        }
      }
      return true;
    }
  }

  private record Step(Names names, int[] crcs) {}

  private final Map<Long, Step> steps = new HashMap<>();
  /** Keyframes' digests, by step: about 1/N of the tensors a step, so kept by name. */
  private final Map<Long, Map<String, Integer>> sums = new HashMap<>();
  private Names newest;

  /** Keeps the digests of a step's commit (the caller keeps the first commit of a step only). */
  void add(StepCommitted commit) {
    List<TensorDigest> digests = commit.getTensorsList();
    if (newest == null || !newest.sameAs(digests)) {
      newest = Names.of(digests);
    }
    int[] crcs = new int[digests.size()];
    for (int i = 0; i < crcs.length; i++) {
      crcs[i] = digests.get(i).getValuesCrc32C();
      if (digests.get(i).hasSumCrc32C()) {
        sums.computeIfAbsent(commit.getStep(), s -> new HashMap<>()).putIfAbsent(newest.order().get(i), digests.get(i).getSumCrc32C());
      }
    }
    steps.put(commit.getStep(), new Step(newest, crcs));
  }

  @Override
  public OptionalInt sumCrc32c(long step, String tensor) {
    Integer crc = sums.getOrDefault(step, Map.of()).get(tensor);
    return crc == null ? OptionalInt.empty() : OptionalInt.of(crc);
  }

  @Override
  public OptionalInt valuesCrc32c(long step, String tensor) {
    Step s = steps.get(step);
    Integer at = s == null ? null : s.names().index().get(tensor);
    return at == null ? OptionalInt.empty() : OptionalInt.of(s.crcs()[at]);
  }
}
