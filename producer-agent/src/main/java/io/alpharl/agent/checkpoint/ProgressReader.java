package io.alpharl.agent.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The progress value y_t of a checkpoint: the entry of {@code trainer_state.json}'s
 * {@code log_history} whose {@code step} is the checkpoint's and that has the configured key
 * (for example {@code reward} or {@code eval_accuracy}); failing that, the line of
 * {@code progress.jsonl} in the run directory (the step folder's parent) with that step and key;
 * when several lines have both, the last one counts. Lines that are not JSON (one being written)
 * and values that are not finite numbers are skipped. Stateless.
 *
 * <p>Python's {@code json} writes NaN and infinities as bare {@code NaN} and {@code Infinity}, and the
 * Hugging Face Trainer's state does so whenever a logged value is one (a {@code grad_norm} of an
 * overflowed step): such files are read, their non-finite values count as absent. Strict JSON
 * parsing refused the whole file, so one NaN anywhere in {@code log_history} dead-lettered every
 * later checkpoint of the run.
 */
public final class ProgressReader {
  public static final String PROGRESS_JSONL = "progress.jsonl";
  private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
  /** The Hugging Face Trainer's prefix of an evaluation's metrics. */
  private static final String EVAL_PREFIX = "eval_";
  /** Keys every trainer logs beside its metrics, never a progress value. */
  private static final Set<String> NOT_PROGRESS = Set.of("step", "epoch", "learning_rate", "grad_norm", "total_flos", "train_runtime",
      "train_samples_per_second", "train_steps_per_second");

  private final String key;

  public ProgressReader(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  /**
   * y_t of the checkpoint's own step: its entry in {@link #history}, so that the value the agent
   * commits and the history a later check compares it with are read by one rule.
   */
  public OptionalDouble read(CheckpointDir checkpoint) {
    Double y = history(checkpoint).get(checkpoint.step());
    return y == null ? OptionalDouble.empty() : OptionalDouble.of(y);
  }

  /**
   * The checkpoint's own step's entry under the key where it is there but not a finite number (NaN
   * or infinite as a diverging trainer logs them, a string, a boolean), said with its file: such a
   * value counts as none, and the step went out without one with nothing but {@code y=none} to show.
   */
  public Optional<String> unusable(CheckpointDir checkpoint) {
    Optional<List<JsonNode>> read = everyEntry(checkpoint);
    if (read.isEmpty()) {
      return Optional.empty(); // said where the value is read
    }
    List<JsonNode> entries = read.get();
    for (JsonNode entry : entries) {
      JsonNode s = entry.get("step");
      JsonNode v = entry.get(key);
      if (s != null && s.asLong(-1) == checkpoint.step() && v != null && !(v.isNumber() && Double.isFinite(v.asDouble()))) {
        return Optional.of("'" + key + "' is " + (v.isNumber() ? v.asText() : v.toString()) + " at step " + checkpoint.step() + " (in "
            + CheckpointScanner.TRAINER_STATE + " or " + PROGRESS_JSONL + "), not a finite number");
      }
    }
    return Optional.empty();
  }

  /**
   * Where the trainer logs values but never one under the key (TRL's PPO logs
   * {@code objective/rlhf_reward}, not {@code reward}; a mistyped {@code --progress-key}), the
   * numeric keys it does log, in name order: every step went out without a value, and only
   * {@code y=none} said so. Empty where an entry has the key, or no entry has anything.
   */
  public Optional<List<String>> keyNeverLogged(CheckpointDir checkpoint) {
    Optional<List<JsonNode>> read = everyEntry(checkpoint);
    if (read.isEmpty()) {
      return Optional.empty(); // said where the value is read
    }
    List<JsonNode> entries = read.get();
    Set<String> logged = new TreeSet<>();
    for (JsonNode entry : entries) {
      if (entry.has(key)) {
        return Optional.empty();
      }
      entry.fields().forEachRemaining(f -> {
        if (f.getValue().isNumber() && !NOT_PROGRESS.contains(f.getKey())) {
          logged.add(f.getKey());
        }
      });
    }
    // An evaluation's key before the first evaluation (eval_steps past save_steps) is not a key the trainer never logs.
    boolean evaluated = logged.stream().anyMatch(k -> k.startsWith(EVAL_PREFIX));
    return logged.isEmpty() || (key.startsWith(EVAL_PREFIX) && !evaluated) ? Optional.empty() : Optional.of(List.copyOf(logged));
  }

  /** The entries of the checkpoint's trainer state, then the run's progress lines; empty where either cannot be read. */
  private static Optional<List<JsonNode>> everyEntry(CheckpointDir checkpoint) {
    List<JsonNode> entries = new ArrayList<>();
    try {
      entries.addAll(stateEntries(checkpoint));
      entries.addAll(loggedEntries(checkpoint));
    } catch (UncheckedIOException e) {
      return Optional.empty();
    }
    return Optional.of(entries);
  }

  /**
   * Every progress value the run folder records up to {@code checkpoint}, by step: the lines of
   * {@code progress.jsonl} (the last one per step), then the entries of the checkpoint's
   * {@code trainer_state.json} {@code log_history} over them (the first one per step).
   * It is the run's history as the trainer kept it: a trainer resumed from an earlier checkpoint
   * restores the history up to that checkpoint, so another run is told apart by its first values.
   */
  public NavigableMap<Long, Double> history(CheckpointDir checkpoint) {
    NavigableMap<Long, Double> out = logged(checkpoint);
    out.putAll(stated(checkpoint));
    return out;
  }

  /**
   * Whether the checkpoint's progress value is still to come. Trainers write a step's line after its
   * save (verl logs its metrics after {@code _save_checkpoint}; the Hugging Face callback carries
   * older values on {@code on_save} when the save step logged none), so a checkpoint can be complete on disk before its value is. It is awaited
   * when it has none yet and the run's {@code progress.jsonl} has the key at earlier steps and at
   * no step from this one on; or, for the run's first step, when neither that file nor the
   * checkpoint's {@code trainer_state.json} has the key at all yet: the first line comes after the
   * first save, and sending at once made the first step's value depend on when the agent looked.
   * A checkpoint's own {@code trainer_state.json} is final once the checkpoint is complete, and a
   * file that has the key at a later step will not go back to this one: neither is waited for.
   *
   * @param firstOfRun whether no step of the run is sent yet
   */
  public boolean awaited(CheckpointDir checkpoint, boolean firstOfRun) {
    NavigableMap<Long, Double> stated = stated(checkpoint);
    if (stated.containsKey(checkpoint.step())) {
      return false;
    }
    NavigableMap<Long, Double> lines = logged(checkpoint);
    return lines.isEmpty() ? firstOfRun && stated.isEmpty() : lines.lastKey() < checkpoint.step();
  }

  /** The values under the key in the checkpoint's {@code trainer_state.json} {@code log_history}, the first per step; empty without the file. */
  private NavigableMap<Long, Double> stated(CheckpointDir checkpoint) {
    NavigableMap<Long, Double> out = new TreeMap<>();
    stateEntries(checkpoint).forEach(entry -> put(out, entry, true));
    return out;
  }

  /** The values under the key in the run's {@code progress.jsonl} ({@link #currentAttempt}), the last line per step; empty without the file. */
  private NavigableMap<Long, Double> logged(CheckpointDir checkpoint) {
    NavigableMap<Long, Double> out = new TreeMap<>();
    loggedEntries(checkpoint).forEach(entry -> put(out, entry, false));
    return out;
  }

  /** The entries of the checkpoint's {@code trainer_state.json} {@code log_history}, in order; none without the file. */
  private static List<JsonNode> stateEntries(CheckpointDir checkpoint) {
    List<JsonNode> out = new ArrayList<>();
    Path state = checkpoint.folder().resolve(CheckpointScanner.TRAINER_STATE);
    if (Files.isRegularFile(state)) {
      try {
        JSON.readTree(state.toFile()).path("log_history").forEach(out::add);
      } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
        // Deleted since it was seen (a rotation under way): not the file's fault, and the agent waits to see the folder go.
        throw new UncheckedIOException(state + " is gone: " + oneLine(e), e);
      } catch (IOException e) {
        throw new UncheckedIOException(state + " is not valid JSON: " + oneLine(e), e);
      }
    }
    return out;
  }

  /** The lines of the run's {@code progress.jsonl} of the trainer's current attempt ({@link #currentAttempt}); none without the file. */
  private static List<JsonNode> loggedEntries(CheckpointDir checkpoint) {
    Path lines = checkpoint.folder().getParent().resolve(PROGRESS_JSONL);
    try {
      return currentAttempt(progressLines(lines));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + lines, e);
    }
  }

  /**
   * The lines of a {@code progress.jsonl}, parsed, in order; none without the file. A line that
   * does not parse is left out: the trainer is writing it while we read.
   */
  private static List<JsonNode> progressLines(Path file) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      // Decoded leniently (a malformed byte becomes U+FFFD): one line of another encoding, or a character cut by a write in
      // progress, must not make every other line unreadable.
      for (String line : new String(Files.readAllBytes(file), StandardCharsets.UTF_8).split("\n")) {
        try {
          JsonNode entry = JSON.readTree(line.strip());
          if (entry != null) {
            out.add(entry);
          }
        } catch (IOException e) {
          // a line being written
        }
      }
    }
    return out;
  }

  /**
   * The lines of the trainer's current attempt. A line that logs again a value its step has (not
   * only its epoch or learning rate), after a later step's line, is the trainer run again from that
   * step (resumed from an earlier checkpoint, or a new run in a folder that kept the file): the
   * lines of the attempt it replaces are dropped from that step on. Kept, they said a step's own
   * line had come (a later step had one) and gave its value from the attempt before, silently. A
   * value logged late for a step that had none (an evaluation finishing after later steps, its line
   * carrying the step's epoch or learning rate too) is not a rerun. A rerun whose first line is not
   * written yet cannot be told from the file; README says to start a new run in a new folder. A
   * line without a step stands where the stepped line before it does.
   */
  static List<JsonNode> currentAttempt(List<JsonNode> lines) {
    record Placed(long at, JsonNode entry) {}
    List<Placed> kept = new ArrayList<>();
    NavigableMap<Long, Set<String>> logged = new TreeMap<>();
    long at = 0;
    for (JsonNode entry : lines) {
      JsonNode s = entry.get("step");
      if (s != null && s.isNumber() && s.asLong() >= 0) {
        long step = s.asLong();
        Set<String> keys = loggedKeys(entry);
        if (!logged.isEmpty() && step < logged.lastKey() && keys.stream().anyMatch(logged.getOrDefault(step, Set.of())::contains)) {
          kept.removeIf(p -> p.at() >= step);
          logged.tailMap(step, true).clear();
        }
        logged.computeIfAbsent(step, k -> new HashSet<>()).addAll(keys);
        at = step;
      }
      kept.add(new Placed(at, entry));
    }
    return kept.stream().map(Placed::entry).toList();
  }

  /**
   * Fields that describe where a line stands (its step, epoch, learning rate, time, the plan)
   * rather than a value measured there: a late line for an earlier step repeats them.
   */
  private static final Set<String> POSITION_FIELDS = Set.of("step", "logged_step", "max_steps", "epoch", "learning_rate", "lr", "global_step",
      "timestamp", "time", "total_flos");

  /** The values a line logs: its numeric fields but those saying where it stands. */
  private static Set<String> loggedKeys(JsonNode entry) {
    Set<String> out = new HashSet<>();
    entry.fields().forEachRemaining(f -> {
      if (f.getValue().isNumber() && !POSITION_FIELDS.contains(f.getKey())) {
        out.add(f.getKey());
      }
    });
    return out;
  }

  /** Jackson's message spans lines (the source and location); a dead letter or CLI error gets one. */
  private static String oneLine(IOException e) {
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      return j.getOriginalMessage().replaceAll("\\s+", " ") + " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")";
    }
    return String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
  }

  /** @param firstWins keep the first value of a step (the trainer state) rather than the last (progress.jsonl) */
  private void put(NavigableMap<Long, Double> out, JsonNode entry, boolean firstWins) {
    JsonNode s = entry == null ? null : entry.get("step");
    long step = s == null ? -1 : s.asLong(-1);
    if (step >= 0 && !(firstWins && out.containsKey(step))) {
      valueAt(entry, key, step).ifPresent(v -> out.put(step, v));
    }
  }

  /**
   * The planned final step: {@code max_steps} of the trainer state, else {@code max_steps} as
   * {@code progress.jsonl} states it at the checkpoint's step (custom loops write it there), else 0.
   *
   * <p>At the checkpoint's step: the newest statement on a line of that step or before (a line
   * without a step stands where the stepped line before it does), else the first one after it
   * (an agent started before its trainer stated its plan). The newest line of the file, taken until now, made a
   * step's planned final step depend on when the agent read it (a trainer that changed its plan,
   * an agent catching up), and with it the step's judged fit.
   */
  public static long plannedSteps(CheckpointDir checkpoint) {
    Path state = checkpoint.folder().resolve(CheckpointScanner.TRAINER_STATE);
    try {
      long fromState = JSON.readTree(state.toFile()).path("max_steps").asLong(0);
      if (fromState > 0) {
        return fromState;
      }
    } catch (JsonProcessingException e) {
      // Taken for "no plan", a file cut short or spoilt became a run without a planned step, and its reason was lost.
      throw new UncheckedIOException(state + " is not valid JSON: " + oneLine(e), e);
    } catch (IOException e) {
      // no trainer state (verl, OpenRLHF): try the progress file
    }
    try {
      double atOrBefore = Double.NaN;
      double firstAfter = Double.NaN;
      long lineStep = 0; // a line without a step stands where the stepped line before it does
      for (JsonNode entry : currentAttempt(progressLines(checkpoint.folder().getParent().resolve(PROGRESS_JSONL)))) {
        JsonNode s = entry.get("step");
        if (s != null && s.isNumber()) {
          lineStep = s.asLong();
        }
        // A plan below one step is none: Hugging Face's max_steps=-1 (train by epochs), written as it stood, made every commit plan
        // 2^64 - 1 steps and each was dead-lettered.
        OptionalDouble v = valueAt(entry, "max_steps", -1);
        if (v.isEmpty() || v.getAsDouble() < 1) {
          continue;
        }
        if (lineStep <= checkpoint.step()) {
          atOrBefore = v.getAsDouble();
        } else if (Double.isNaN(firstAfter)) {
          firstAfter = v.getAsDouble();
        }
      }
      return !Double.isNaN(atOrBefore) ? (long) atOrBefore : Double.isNaN(firstAfter) ? 0 : (long) firstAfter;
    } catch (IOException e) {
      return 0;
    }
  }

  private static OptionalDouble valueAt(JsonNode entry, String key, long step) {
    JsonNode s = entry.get("step");
    JsonNode v = entry.get(key);
    if ((step == -1 || s != null && s.asLong(-1) == step) && v != null && v.isNumber() && Double.isFinite(v.asDouble())) {
      return OptionalDouble.of(v.asDouble());
    }
    return OptionalDouble.empty();
  }
}
