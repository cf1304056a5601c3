package io.alpharl.agent.checkpoint;

import io.alpharl.safetensors.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the complete step checkpoints of a trainer's output directory, laid out as a
 * {@link CheckpointLayout} says (by default the Hugging Face Trainer's {@code checkpoint-<step>/}).
 * A checkpoint counts as complete when its weights are present, the layout's ready file (the
 * Trainer's {@code trainer_state.json}, written last) is present when the layout has one, and
 * no file in it changed size or modification time since the previous scan (the time catches a
 * file rewritten in place at its old size, as a trainer resumed from an earlier step saves over a
 * folder it left); {@code tmp-checkpoint-*} directories, where some Trainer releases staged a save
 * (transformers since reverted it and writes into {@code checkpoint-<step>/} directly), never match.
 *
 * <p>A trainer deletes old checkpoints while it runs ({@code save_total_limit}): a folder that
 * disappears during a scan is simply absent from its result. Two folders naming one step
 * ({@code checkpoint-5}, {@code checkpoint-05}) are reported as a {@link DuplicateStep}, never as
 * a checkpoint. A finished step folder without safetensors weights (a trainer saving .bin files or
 * only sharded DeepSpeed/FSDP state, or verl without {@code hf_model}) is reported as
 * {@link ScanResult.Weightless}, not waited for in silence. Keeps the files' stamps seen by the
 * previous scan; not thread-safe.
 */
public final class CheckpointScanner {
  public static final String TRAINER_STATE = "trainer_state.json";
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointScanner.class);

  private final Path root;
  private final CheckpointLayout layout;
  private final Consumer<Path> beforeMeasure;
  private final Map<Path, Map<String, Stamp>> lastStamps = new HashMap<>();
  private final Map<Path, CheckpointDir> measured = new HashMap<>();
  private final Set<Path> warned = new HashSet<>();
  /** Whether a run folder with no step folder of the layout, but named as another's, was said. */
  private boolean layoutDoubtSaid;

  /** What a scan sees of one file: its size and modification time, or (-1, 0) for a directory. */
  private record Stamp(long size, FileTime modified) {}

  /** A scanner of the Hugging Face Trainer layout. */
  public CheckpointScanner(Path root) {
    this(root, CheckpointLayout.HUGGING_FACE);
  }

  public CheckpointScanner(Path root, CheckpointLayout layout) {
    this(root, layout, folder -> {});
  }

  /** @param beforeMeasure called with each candidate folder just before its files are measured (tests delete folders here) */
  CheckpointScanner(Path root, CheckpointLayout layout, Consumer<Path> beforeMeasure) {
    this.root = root;
    this.layout = layout;
    this.beforeMeasure = beforeMeasure;
  }

  public CheckpointLayout layout() {
    return layout;
  }

  /**
   * Complete checkpoints and duplicate steps, each by step. Remembers the files' stamps seen, so a
   * checkpoint is complete from the second scan that sees it unchanged.
   *
   * @throws UncheckedIOException when the run directory itself cannot be listed
   */
  public ScanResult scan() {
    NavigableMap<Long, List<Path>> byStep = stepFolders();
    List<CheckpointDir> complete = new ArrayList<>();
    List<DuplicateStep> duplicates = new ArrayList<>();
    List<ScanResult.Weightless> weightless = new ArrayList<>();
    List<ScanResult.Unreadable> unreadable = new ArrayList<>();
    List<CheckpointDir> unready = new ArrayList<>();
    Set<Path> seen = new HashSet<>();
    for (Map.Entry<Long, List<Path>> e : byStep.entrySet()) {
      List<Path> folders = e.getValue();
      seen.addAll(folders);
      if (folders.size() > 1) {
        duplicates.add(new DuplicateStep(e.getKey(), folders));
        continue;
      }
      Path folder = folders.get(0);
      CheckpointDir c = new CheckpointDir(e.getKey(), layout.weightsDir(folder), folder);
      try {
        boolean laterStepExists = byStep.lastKey() > e.getKey();
        if (!look(c, laterStepExists, seen, complete, weightless) && laterStepExists && layout.readyFile().isPresent() && hasWeights(c)) {
          unready.add(c);
        }
      } catch (UncheckedIOException ex) {
        // One folder the agent cannot read stopped it, and with it every later step; now it is that step's alone.
        if (Files.notExists(folder)) { // gone for sure; Files.exists says false too where it cannot tell
          seen.remove(folder);
          continue;
        }
        lastStamps.remove(folder); // complete only once two scans that can read it agree
        IOException cause = ex.getCause();
        unreadable.add(new ScanResult.Unreadable(c, "cannot read " + folder + " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage()
            + "); it is read again once it can be"));
      }
    }
    lastStamps.keySet().retainAll(seen);
    List<CheckpointDir> vanished = new ArrayList<>();
    for (java.util.Iterator<Map.Entry<Path, CheckpointDir>> it = measured.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Path, CheckpointDir> m = it.next();
      if (!seen.contains(m.getKey())) {
        vanished.add(m.getValue());
        it.remove();
      }
    }
    vanished.sort(java.util.Comparator.comparingLong(CheckpointDir::step));
    return new ScanResult(complete, duplicates, vanished, weightless, unreadable, unready);
  }

  /**
   * Looks at one step's folder: complete when this scan measures what the last one did; weightless
   * when finished without weights; absent when rotated away or deleted meanwhile.
   *
   * @return whether the folder is ready to be measured (its weights and the layout's ready file are there)
   * @throws UncheckedIOException when the folder cannot be read
   */
  private boolean look(CheckpointDir c, boolean laterStepExists, Set<Path> seen, List<CheckpointDir> complete, List<ScanResult.Weightless> weightless) {
    Path folder = c.folder();
    if (!ready(c)) {
      boolean hasWeights = hasWeights(c);
      if (measured.containsKey(folder) && !hasWeights) {
        // Measured with weights, now without: rotated away. verl's rotation deletes the role folder (actor/), not the step's,
        // which was then taken for one that never had weights, or for nothing at all.
        seen.remove(folder);
        return false;
      }
      if (!hasWeights && finished(c, laterStepExists)) {
        weightless.add(new ScanResult.Weightless(c, WeightlessCheckpoint.describe(c)));
      }
      return false;
    }
    beforeMeasure.accept(folder);
    Map<String, Stamp> stamps = measure(c);
    if (stamps == null) {
      seen.remove(folder); // deleted while we looked: absent
      return true;
    }
    measured.put(folder, c);
    Map<String, Stamp> previous = lastStamps.put(folder, stamps);
    if (stamps.equals(previous)) {
      complete.add(c);
    }
    return true;
  }

  /**
   * Whether the checkpoint has safetensors weights, telling "absent" from "cannot look": a file that
   * cannot be looked up (its folder's permissions, a link loop, a stale network handle) reads as
   * absent to {@link Files#isRegularFile}. Taken for absent, a measured step was refused as rotated
   * away and never read again, and a new folder the agent could not enter was waited for without a
   * word.
   *
   * @throws UncheckedIOException when a weights file cannot be looked up
   */
  private static boolean hasWeights(CheckpointDir c) {
    return isFile(c.path().resolve(Checkpoint.SINGLE_FILE)) || isFile(c.path().resolve(Checkpoint.INDEX_FILE));
  }

  /** @throws UncheckedIOException when the file cannot be looked up (absent is false) */
  private static boolean isFile(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).isRegularFile();
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What the newest scan measured of the folder's files (names, sizes, times), to compare with a
   * later scan's; empty when it measured none.
   */
  public Optional<Object> filesSeen(Path folder) {
    return Optional.ofNullable(lastStamps.get(folder));
  }

  /**
   * What the newest scan measured of the checkpoint's weights files alone (safetensors files and
   * their index), to compare with a later scan's: other files may come after a step is complete
   * (verl saves the critic and {@code data.pt} after the actor's weights, a trainer adds eval
   * results), and do not change what was sent. Empty when the folder was not measured.
   */
  public Optional<Object> weightsSeen(CheckpointDir c) {
    Map<String, Stamp> all = lastStamps.get(c.folder());
    if (all == null) {
      return Optional.empty();
    }
    String prefix = c.path().equals(c.folder()) ? "" : c.folder().relativize(c.path()) + "/";
    Map<String, Stamp> weights = new TreeMap<>();
    all.forEach((name, stamp) -> {
      String rest = name.startsWith(prefix) ? name.substring(prefix.length()) : null;
      if (rest != null && !rest.contains("/") && (rest.endsWith(".safetensors") || rest.equals(Checkpoint.INDEX_FILE))) {
        weights.put(name, stamp);
      }
    });
    return Optional.of(weights);
  }

  /**
   * Forgets what the folder's files measured: it counts as complete again only once two later
   * scans agree on them (for a folder the agent found cut short although its sizes had held).
   */
  public void measureAgain(Path folder) {
    lastStamps.remove(folder);
  }

  /**
   * Complete checkpoints, by step, for callers that do not handle duplicates: a duplicated step is
   * left out and logged once.
   */
  public List<CheckpointDir> complete() {
    ScanResult r = scan();
    for (DuplicateStep d : r.duplicates()) {
      if (warned.add(d.folders().get(0))) {
        LOG.error("step {} is named by {} folders, {}: none is read", d.step(), d.folders().size(), d.folders());
      }
    }
    return r.complete();
  }

  /**
   * The step folders {@link #present} leaves out, each with why (two folders naming one step, no
   * weights, no ready file), for a command that reads a finished run and must not pass over a
   * checkpoint without a word.
   */
  public List<String> leftOut() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<Long, List<Path>> e : stepFolders().entrySet()) {
      if (e.getValue().size() > 1) {
        out.add("step " + e.getKey() + " is named by " + e.getValue().size() + " folders " + e.getValue().stream().map(p -> p.getFileName().toString())
            .toList());
        continue;
      }
      Path folder = e.getValue().get(0);
      CheckpointDir c = new CheckpointDir(e.getKey(), layout.weightsDir(folder), folder);
      try {
        if (!ready(c)) {
          out.add(folder.getFileName() + (hasWeights(c) ? " lacks its ready file " + layout.readyFile().orElse("") : " has no safetensors weights"));
        }
      } catch (UncheckedIOException ex) {
        out.add(folder.getFileName() + " cannot be read (" + ex.getCause().getClass().getSimpleName() + ": " + ex.getCause().getMessage() + ")");
      }
    }
    return out;
  }
  /** {@link #leftOut} for one line of a command's output: the first five, and how many more (a long run's are hundreds). */
  public Optional<String> leftOutSaid() {
    List<String> out = leftOut();
    return out.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", out.subList(0, Math.min(5, out.size())))
        + (out.size() > 5 ? "; and " + (out.size() - 5) + " more folders" : ""));
  }


  /**
   * Every checkpoint that looks written (weights present, and the ready file when the layout has
   * one), by step, without the stability check; duplicated steps are left out.
   */
  public List<CheckpointDir> present() {
    List<CheckpointDir> out = new ArrayList<>();
    for (Map.Entry<Long, List<Path>> e : stepFolders().entrySet()) {
      if (e.getValue().size() == 1) {
        Path folder = e.getValue().get(0);
        CheckpointDir c = new CheckpointDir(e.getKey(), layout.weightsDir(folder), folder);
        if (readyIfReadable(c)) {
          out.add(c);
        }
      }
    }
    out.sort(Comparator.comparingLong(CheckpointDir::step));
    return out;
  }

  /**
   * Whether {@code dir} is known not to be a folder: a file, or gone. One whose attributes cannot be
   * read is kept (measuring it says it is unreadable, and it is looked at again): taken for no
   * folder, a step measured before was said deleted before it was sent, and lost.
   */
  private static boolean notADirectory(Path dir) {
    try {
      return !Files.readAttributes(dir, BasicFileAttributes.class).isDirectory();
    } catch (NoSuchFileException gone) {
      return true;
    } catch (IOException unreadable) {
      return false;
    }
  }

  /** Step folders by step (sorted), each list sorted. */
  private NavigableMap<Long, List<Path>> stepFolders() {
    NavigableMap<Long, List<Path>> byStep = new TreeMap<>();
    if (Files.notExists(root)) {
      // Not made yet: an agent may start before its trainer (W_0 given elsewhere). Only where that is known: Files.exists is false on
      // any error too, and a network file system failing for a moment made every folder measured before look deleted.
      return byStep;
    }
    Optional<String> otherLayout = Optional.empty();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        Matcher m = layout.stepFolder().matcher(dir.getFileName().toString());
        if (!m.matches() || notADirectory(dir)) {
          if (otherLayout.isEmpty()) {
            otherLayout = CheckpointLayout.presetNaming(dir.getFileName().toString()).filter(p -> !notADirectory(dir));
          }
          continue;
        }
        long step;
        try {
          step = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
          if (warned.add(dir)) {
            LOG.warn("{} matches the step folder pattern '{}' but '{}' is not a step number; ignored", dir, layout.stepFolder().pattern(), m.group(1));
          }
          continue;
        }
        byStep.computeIfAbsent(step, s -> new ArrayList<>()).add(dir);
      }
    } catch (IOException | DirectoryIteratorException e) {
      throw new UncheckedIOException("cannot list " + root, e instanceof IOException io ? io : ((DirectoryIteratorException) e).getCause());
    }
    byStep.values().forEach(l -> l.sort(Comparator.naturalOrder()));
    if (byStep.isEmpty() && !layoutDoubtSaid) {
      sayLayoutDoubt(otherLayout);
    }
    return byStep;
  }

  /**
   * A live watch of a folder where no step folder matches the layout waited without a word for
   * good: a verl run watched without {@code --layout verl}, or a step folder given as the run's.
   * Said once, where the folder names show it.
   */
  private void sayLayoutDoubt(Optional<String> otherLayout) {
    Optional<String> rootIsStep = Optional.ofNullable(root.getFileName()).flatMap(n -> CheckpointLayout.presetNaming(n.toString()));
    if (otherLayout.isPresent()) {
      layoutDoubtSaid = true;
      LOG.warn("no folder in {} is a step folder of the layout ({}), but some are named as --layout {} names them: nothing is sent until"
          + " one matches; check --layout", root, layout.stepFolder().pattern(), otherLayout.get());
    } else if (rootIsStep.isPresent()) {
      layoutDoubtSaid = true;
      LOG.warn("{} is itself named as a step folder ({}): the agent watches the trainer's output folder, which holds the step folders; give"
          + " its parent", root, rootIsStep.get());
    }
  }

  /**
   * Whether a step folder without weights is finished: its ready file is written, or, in a layout
   * without one, a later step's folder exists and its files did not change since the last scan
   * (a trainer saves one step after another, so an earlier folder still being written is rare,
   * and one scan's wait covers it).
   */
  private boolean finished(CheckpointDir c, boolean laterStepExists) {
    if (layout.readyFile().isPresent()) {
      return Files.isRegularFile(c.folder().resolve(layout.readyFile().get()));
    }
    if (!laterStepExists) {
      return false;
    }
    // A weights sub-path the trainer never made (verl without hf_model may not) leaves the step folder to measure.
    Map<String, Stamp> stamps = Files.isDirectory(c.path()) ? measure(c) : measure(new CheckpointDir(c.step(), c.folder(), c.folder()));
    return stamps != null && stamps.equals(lastStamps.put(c.folder(), stamps));
  }

  /** False too when a file {@link #ready} looks for cannot be looked up ({@link #leftOut} says which). */
  private boolean readyIfReadable(CheckpointDir c) {
    try {
      return ready(c);
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /** @throws UncheckedIOException when a file it looks for cannot be looked up */
  private boolean ready(CheckpointDir c) {
    return hasWeights(c) && layout.readyFile().map(f -> isFile(c.folder().resolve(f))).orElse(true);
  }

  /**
   * Name, size and modification time of every file of the checkpoint (its folder and, when
   * elsewhere, its weights directory); null when it was deleted meanwhile.
   */
  private Map<String, Stamp> measure(CheckpointDir c) {
    Map<String, Stamp> stamps = new TreeMap<>();
    try {
      addStamps(c.folder(), "", stamps);
      if (!c.path().equals(c.folder())) {
        addStamps(c.path(), c.folder().relativize(c.path()) + "/", stamps);
      }
      return stamps;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | DirectoryIteratorException e) {
      if (Files.notExists(c.folder())) {
        return null; // deleted while listed: the error was about one of its files
      }
      throw new UncheckedIOException("cannot read " + c.folder(), e instanceof IOException io ? io : ((DirectoryIteratorException) e).getCause());
    }
  }

  private static void addStamps(Path dir, String prefix, Map<String, Stamp> stamps) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        try {
          BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
          stamps.put(prefix + f.getFileName(), a.isRegularFile() ? new Stamp(a.size(), a.lastModifiedTime()) : new Stamp(-1, FileTime.fromMillis(0)));
        } catch (NoSuchFileException e) {
          // Gone between the listing and its size (a temporary file renamed, an NFS placeholder):
          // absent, like a file listed after it. Taken for the folder's, it reported a checkpoint
          // that was still there as deleted, and it was never sent.
        }
      }
    }
  }
}
