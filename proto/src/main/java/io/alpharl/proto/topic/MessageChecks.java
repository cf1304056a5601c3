package io.alpharl.proto.topic;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MessageOrBuilder;
import io.alpharl.proto.v1.ControlDecision;
import io.alpharl.proto.v1.DType;
import io.alpharl.proto.v1.FitSummary;
import io.alpharl.proto.v1.ModuleFit;
import io.alpharl.proto.v1.Prediction;
import io.alpharl.proto.v1.PredictionScore;
import io.alpharl.proto.v1.Rank1Update;
import io.alpharl.proto.v1.RejectReason;
import io.alpharl.proto.v1.RunManifest;
import io.alpharl.proto.v1.StepCommitted;
import io.alpharl.proto.v1.TensorInfo;
import io.alpharl.safetensors.SafetensorsFile;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What every reader checks of a message that parsed, before believing it: a schema version this
 * build reads, and a run id (and module) that agree with the record key. One definition for every
 * service, so a forged or stray record is refused the same way wherever it is read. Stateless.
 */
public final class MessageChecks {
  /**
   * The last step any record may name: 2^53, far past any run (a step a second for 285 million
   * years), and exact as a double. A frame or commit beyond stood for ever as a tensor's or run's
   * newest step, and every real one after it was refused.
   */
  public static final long MAX_STEP = 1L << 53;

  /** Why a message is refused, for its dead letter. */
  public record Problem(RejectReason reason, String detail) {}

  private MessageChecks() {}

  /**
   * Ends a modelled module's name in the run tracker's keys ({@code run/module#step}): a module
   * named with it would share another's key prefix, so none is.
   */
  public static final char MODULE_KEY_END = '#';

  public static Optional<Problem> manifest(String key, RunManifest m) {
    return version("RunManifest", m.getSchemaVersion(), m).or(() -> runKey("RunManifest", key, m.getRunId())).or(() -> tensors(m))
        .or(() -> keptSize(m));
  }

  /**
   * The most bytes of a manifest, less the base model's files, that its readers keep: the run
   * tracker keeps it in a store whose changelog takes {@link Topics#MAX_FACTORS_RECORD_BYTES}, with
   * the run's state beside it. One near the topic's limit made a changelog record past that, a
   * failed send at every try that stopped the processor for every run. About 150,000 tensors.
   */
  public static final int MAX_KEPT_MANIFEST_BYTES = Topics.MAX_FACTORS_RECORD_BYTES - (1 << 20);

  private static Optional<Problem> keptSize(RunManifest m) {
    int kept = m.getBaseModelFilesCount() == 0 ? m.getSerializedSize() : m.toBuilder().clearBaseModelFiles().build().getSerializedSize();
    return kept <= MAX_KEPT_MANIFEST_BYTES ? Optional.empty() : malformed("RunManifest of run " + m.getRunId() + " keeps " + kept
        + " bytes besides the base's files, more than the " + MAX_KEPT_MANIFEST_BYTES + " its readers keep");
  }

  /**
   * What readers size their state by: each tensor named once, and each modelled one a matrix with
   * values, named without {@link #MODULE_KEY_END}. The agent never lists otherwise; a manifest that
   * did (a tensor twice, a modelled [0, n]) made the run tracker fail on the run's first factors,
   * and with it every run of its tasks, at each start.
   */
  private static Optional<Problem> tensors(RunManifest m) {
    Set<String> names = new HashSet<>();
    for (TensorInfo t : m.getTensorsList()) {
      String of = "RunManifest of run " + m.getRunId() + ": tensor " + t.getName();
      if (!names.add(t.getName())) {
        return malformed(of + " is listed twice");
      }
      Optional<String> shown = SafetensorsFile.withControlCharacters(t.getName()); // no safetensors file this build reads names one so
      if (shown.isPresent()) {
        return malformed("RunManifest of run " + m.getRunId() + ": tensor " + shown.get() + " holds a control character");
      }
      if (t.getShapeList().stream().anyMatch(d -> d < 0)) {
        return malformed(of + " has shape " + t.getShapeList());
      }
      // Stated but unspecified: no dtype to write a model in or round W_0 to. The extrapolator's plan threw on it at every fit, tried
      // again every 15 s for ever, with no letter.
      if ((t.hasCheckpointDtype() && t.getCheckpointDtype() == io.alpharl.proto.v1.DType.D_TYPE_UNSPECIFIED)
          || (t.hasBaseRoundedTo() && t.getBaseRoundedTo() == io.alpharl.proto.v1.DType.D_TYPE_UNSPECIFIED)) {
        return malformed(of + " states a checkpoint dtype or a W_0 rounding of D_TYPE_UNSPECIFIED");
      }
      if (t.getModelled() && (t.getShapeCount() != 2 || t.getShape(0) < 1 || t.getShape(1) < 1 || t.getName().indexOf(MODULE_KEY_END) >= 0)) {
        return malformed(of + " of shape " + t.getShapeList()
            + " is modelled, which needs a matrix with values and a name without '" + MODULE_KEY_END + "'");
      }
    }
    return Optional.empty();
  }

  /**
   * Once a run has steps, its later manifests (status updates, an agent restarted) must describe
   * the tensors the kept one does: names, shapes, which are modelled and transposed. Readers size
   * their state by it; a change under a run with steps would leave modules without factors the
   * fits wait for, or shapes the windows do not have. The agent refuses to resume under other
   * module options once a step is committed, so such a manifest is not the run's (before the first
   * step readers take the change).
   */
  public static Optional<Problem> sameTensors(RunManifest kept, RunManifest next) {
    if (kept.getTensorsCount() != next.getTensorsCount()) {
      return Optional.of(new Problem(RejectReason.REJECT_REASON_SHAPE_MISMATCH, "RunManifest of run " + next.getRunId() + " lists "
          + next.getTensorsCount() + " tensors where the run's has " + kept.getTensorsCount() + "; the run keeps its tensors"));
    }
    for (int i = 0; i < kept.getTensorsCount(); i++) {
      TensorInfo a = kept.getTensors(i);
      TensorInfo b = next.getTensors(i);
      if (!a.getName().equals(b.getName()) || !a.getShapeList().equals(b.getShapeList()) || a.getModelled() != b.getModelled()
          || a.getTransposed() != b.getTransposed()) {
        return Optional.of(new Problem(RejectReason.REJECT_REASON_SHAPE_MISMATCH, "RunManifest of run " + next.getRunId() + " describes tensor "
            + i + " as " + b.getName() + " " + b.getShapeList() + (b.getModelled() ? " modelled" : "") + (b.getTransposed() ? " transposed" : "")
            + " where the run's has " + a.getName() + " " + a.getShapeList() + (a.getModelled() ? " modelled" : "")
            + (a.getTransposed() ? " transposed" : "") + "; the run keeps its tensors"));
      }
      Optional<String> settled = settledOtherwise(a, b);
      if (settled.isPresent()) {
        return Optional.of(new Problem(RejectReason.REJECT_REASON_INCONSISTENT_WITH_RUN, "RunManifest of run " + next.getRunId() + " says "
            + b.getName() + " " + settled.get() + "; the run keeps its tensors"));
      }
    }
    return Optional.empty();
  }

  /**
   * What a later manifest says otherwise of a tensor than the run's kept one, of what decides a
   * predicted model's bytes: the base's dtype and values (the agent resumes only on the same base),
   * the dtype the run's first checkpoint stored it in and whether W_0 was rounded to it (kept from
   * the run's first checkpoint across restarts). Taken, such a manifest changed the models written
   * after it. A later manifest may name what the run's does not (the agent names the checkpoints'
   * dtypes from the first checkpoint, in a manifest after the one it starts with; a run an earlier
   * build began is left without them), not leave out what it names:
   * one without the base's checksum or the checkpoints' dtype, taken, turned off the check of the
   * base a model is written from and W_0's rounding, and could point at another base.
   */
  private static Optional<String> settledOtherwise(TensorInfo a, TensorInfo b) {
    // Each compared where the run's names it: left out, it is said as left out.
    if (a.getDtype() != DType.D_TYPE_UNSPECIFIED && b.getDtype() != a.getDtype()) {
      return Optional.of(b.getDtype() == DType.D_TYPE_UNSPECIFIED ? "nothing of the base's dtype where the run's says " + a.getDtype()
          : "the base stores it as " + b.getDtype() + " where the run's says " + a.getDtype());
    }
    if (a.hasBaseCrc32C() && !(b.hasBaseCrc32C() && b.getBaseCrc32C() == a.getBaseCrc32C())) {
      return Optional.of(b.hasBaseCrc32C() ? "the base's values have another checksum than the run's base"
          : "nothing of the base's checksum, which the run's names");
    }
    if (a.hasCheckpointDtype() && !b.hasCheckpointDtype()) {
      return Optional.of("nothing of the checkpoints' dtype where the run's says " + a.getCheckpointDtype());
    }
    if (a.hasCheckpointDtype() && (a.getCheckpointDtype() != b.getCheckpointDtype() || a.hasBaseRoundedTo() != b.hasBaseRoundedTo()
        || a.getBaseRoundedTo() != b.getBaseRoundedTo())) {
      return Optional.of("the checkpoints store it as " + b.getCheckpointDtype() + (b.hasBaseRoundedTo() ? " with W_0 rounded to it" : "")
          + " where the run's says " + a.getCheckpointDtype() + (a.hasBaseRoundedTo() ? " with W_0 rounded to it" : ""));
    }
    return Optional.empty();
  }

  public static Optional<Problem> step(String key, StepCommitted s) {
    return version("StepCommitted", s.getSchemaVersion(), s).or(() -> runKey("StepCommitted", key, s.getRunId()))
        // Read as a signed long, a step of 2^63 and more is negative: no agent counts that far, and a window holding one never ends.
        .or(() -> s.getStep() <= 0 || s.getStep() > MAX_STEP ? malformed("StepCommitted of run " + s.getRunId() + " names step "
            + Long.toUnsignedString(s.getStep()) + (s.getStep() == 0 ? ", the base" : ", beyond any run")) : Optional.empty())
        // 2^63 and more (negative as Java reads it) failed a --target-value fit; a large positive plan is only a long run's.
        .or(() -> s.getPlannedSteps() < 0 ? malformed("StepCommitted of run " + s.getRunId() + " step " + s.getStep() + " plans "
            + Long.toUnsignedString(s.getPlannedSteps()) + " steps") : Optional.empty())
        // The agent never sends one (it refuses a non-finite value in the trainer's state); another producer's NaN made every fit's
        // R² NaN and the monitoring page stopped refreshing for every run.
        .or(() -> s.getHasProgressValue() && !Double.isFinite(s.getProgressValue()) ? malformed("StepCommitted of run " + s.getRunId()
            + " step " + s.getStep() + " has progress value " + s.getProgressValue()) : Optional.empty());
  }

  public static Optional<Problem> factors(String key, Rank1Update u) {
    return version("Rank1Update", u.getSchemaVersion(), u).or(() -> moduleKey("Rank1Update", key, u.getRunId(), u.getModule()));
  }

  /**
   * Whether factors fit the module's shape in the run's manifest and add up (the further factors,
   * the sketch, finite norms): what the window code would fail on. The run tracker refuses such
   * records with a dead letter and keeps the first that passes; the extrapolator, reading the same
   * log, must take that same record, so both apply this one rule.
   *
   * @return why not, or empty
   */
  public static Optional<String> factorsFit(Rank1Update u, TensorInfo module) {
    if (module == null || module.getShapeCount() != 2 || u.getUCount() != module.getShape(0) || u.getVCount() != module.getShape(1)) {
      return Optional.of("factors of " + u.getModule() + " step " + u.getStep() + " do not fit run " + u.getRunId() + "'s manifest"
          + (module == null ? " (not a modelled module)" : " (shape " + module.getShapeList() + ", u " + u.getUCount() + ", v " + u.getVCount() + ")"));
    }
    long m = module.getShape(0);
    long n = module.getShape(1);
    int more = Math.max(1, u.getRank()) - 1;
    String of = "factors of " + u.getModule() + " step " + u.getStep() + " of run " + u.getRunId() + ": ";
    if (u.getMoreSigmasCount() != more || u.getMoreUCount() != more * m || u.getMoreVCount() != more * n) {
      return Optional.of(of + "rank " + u.getRank() + " needs " + more + " more factors of " + m + " and " + n + " values, got "
          + u.getMoreSigmasCount() + " sigmas, " + u.getMoreUCount() + " left and " + u.getMoreVCount() + " right values");
    }
    if (u.getSketchSize() < 1 || u.getSketchCount() != (long) u.getSketchSize() * u.getSketchSize()) {
      return Optional.of(of + "sketch of size " + u.getSketchSize() + " has " + u.getSketchCount() + " values");
    }
    if (!(u.getFrobeniusNorm() >= 0) || Double.isInfinite(u.getFrobeniusNorm()) || !Double.isFinite(u.getSigma1())
        || u.getMoreSigmasList().stream().anyMatch(x -> !Double.isFinite(x))) {
      return Optional.of(of + "‖ΔW‖_F " + u.getFrobeniusNorm() + " or a singular value is not finite");
    }
    // A NaN in a factor would pass into every plan and score of the window, and the written model would be refused for ever.
    if (!finite(u.getUList()) || !finite(u.getVList()) || !finite(u.getMoreUList()) || !finite(u.getMoreVList())
        || u.getSketchList().stream().anyMatch(x -> !Double.isFinite(x))) {
      return Optional.of(of + "a factor or sketch value is not finite");
    }
    return Optional.empty();
  }

  private static boolean finite(List<Float> values) {
    for (float v : values) {
      if (!Float.isFinite(v)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Every point of a module's window is sketched alike: the module's first kept point says how
   * (size and seed). The run tracker refuses factors sketched otherwise; the extrapolator, reading
   * the same log, must pass over the same records, so both apply this one rule.
   */
  public static Optional<String> sketchedAlike(int size, long seed, Rank1Update u) {
    if (u.getSketchSize() == size && u.getSketchSeed() == seed) {
      return Optional.empty();
    }
    return Optional.of("sketch of size " + u.getSketchSize() + ", seed " + u.getSketchSeed() + ", where the module's earlier points have size "
        + size + ", seed " + seed);
  }

  /**
   * A fit summary's own consistency: what a processor always publishes (a positive step, a window
   * of ascending steps ending at it, a known or no planned step, the axis bounds its settings
   * check). A fit that fails here could never be acted on: taken, it waited for ever, retried every
   * 15 s, or failed after a whole model was written.
   */
  public static Optional<Problem> fit(String key, FitSummary f) {
    return version("FitSummary", f.getSchemaVersion(), f).or(() -> runKey("FitSummary", key, f.getRunId())).or(() -> {
      String of = "FitSummary of run " + f.getRunId() + " step " + Long.toUnsignedString(f.getStep()) + " ";
      if (f.getStep() <= 0 || f.getStep() > MAX_STEP) {
        return malformed(of + "names no step a run has");
      }
      List<Long> window = f.getWindowStepsList();
      for (int i = 0; i < window.size(); i++) {
        if (window.get(i) <= 0 || (i > 0 && window.get(i) <= window.get(i - 1))) {
          return malformed(of + "has window steps " + window + ", not ascending positive steps");
        }
      }
      if (window.isEmpty() || window.get(window.size() - 1) != f.getStep()) {
        return malformed(of + "lists no window ending at it");
      }
      if (f.getPlannedSteps() < 0) {
        return malformed(of + "plans " + Long.toUnsignedString(f.getPlannedSteps()) + " steps");
      }
      if (!(f.getSignalLow() < f.getSignalHigh()) || !(f.getMinExponent() > 0 && f.getMinExponent() <= f.getMaxExponent())
          || Double.isInfinite(f.getSignalTarget())) {
        return malformed(of + "has axis bounds no processor uses: signal range [" + f.getSignalLow() + ", " + f.getSignalHigh()
            + "], exponents [" + f.getMinExponent() + ", " + f.getMaxExponent() + "], signal target " + f.getSignalTarget());
      }
      Set<String> modules = new HashSet<>();
      for (ModuleFit m : f.getModulesList()) {
        if (!modules.add(m.getModule())) {
          return malformed(of + "lists module " + m.getModule() + " twice");
        }
      }
      return Optional.empty();
    });
  }

  private static Optional<Problem> malformed(String detail) {
    return Optional.of(new Problem(RejectReason.REJECT_REASON_MALFORMED_RECORD, detail));
  }

  public static Optional<Problem> prediction(String key, Prediction p) {
    return version("Prediction", p.getSchemaVersion(), p).or(() -> runKey("Prediction", key, p.getRunId()));
  }

  public static Optional<Problem> score(String key, PredictionScore s) {
    return version("PredictionScore", s.getSchemaVersion(), s).or(() -> runKey("PredictionScore", key, s.getRunId()));
  }

  /** A decision names the step its fit came from: one a run has (a stop at step 0, or past any count, stopped the trainer too). */
  public static Optional<Problem> decision(String key, ControlDecision d) {
    // No enum check: its readers are the agents, older than the extrapolator that writes it after an upgrade in that order, and
    // they need the action alone (one they do not know is said and not acted on) and the step; an axis added later must not
    // keep a stop from the trainer.
    return version("ControlDecision", d.getSchemaVersion()).or(() -> runKey("ControlDecision", key, d.getRunId()))
        .or(() -> d.getAtStep() <= 0 || d.getAtStep() > MAX_STEP ? malformed("ControlDecision of run " + d.getRunId() + " at step "
            + Long.toUnsignedString(d.getAtStep()) + ", which no run has") : Optional.empty());
  }

  /**
   * A schema version this build reads, and no enum field holding a number this build has no name
   * for. Within a version, messages change only by what older readers can skip (new fields); a new
   * enum value is not such a change, so it is refused like a version (a newer writer's, or junk):
   * read past, it reached code that names it and threw, stopping a reader at every start.
   */
  private static Optional<Problem> version(String type, int version, MessageOrBuilder message) {
    return version(type, version).or(() -> unknownEnum(message, type).map(where -> new Problem(RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION,
        where + ", a value this build does not know (written by a newer build?)")));
  }

  private static Optional<Problem> version(String type, int version) {
    if (version != Topics.SCHEMA_VERSION) {
      return Optional.of(new Problem(RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION,
          type + " has schema version " + Integer.toUnsignedString(version) + ", this build reads " + Topics.SCHEMA_VERSION));
    }
    return Optional.empty();
  }

  /** Message types by whether an enum field lies anywhere in them: most nested ones (a fit's per-module results) hold none. */
  private static final Map<Descriptor, Boolean> HOLDS_ENUMS = new java.util.concurrent.ConcurrentHashMap<>();

  private static boolean holdsEnums(Descriptor type, Set<Descriptor> seen) {
    if (!seen.add(type)) {
      return false; // a recursive type: its fields are looked at where it was first met
    }
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJavaType() == FieldDescriptor.JavaType.ENUM || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && holdsEnums(f.getMessageType(), seen)) {
        return true;
      }
    }
    return false;
  }

  /** Where the first enum value without a name is, as {@code Type.field has value N}, through nested messages. */
  private static Optional<String> unknownEnum(MessageOrBuilder message, String path) {
    if (!HOLDS_ENUMS.computeIfAbsent(message.getDescriptorForType(), t -> holdsEnums(t, new HashSet<>()))) {
      return Optional.empty();
    }
    for (Map.Entry<FieldDescriptor, Object> e : message.getAllFields().entrySet()) {
      FieldDescriptor field = e.getKey();
      String at = path + "." + field.getName();
      List<?> values = field.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
      if (field.getJavaType() == FieldDescriptor.JavaType.ENUM) {
        for (Object v : values) {
          EnumValueDescriptor value = (EnumValueDescriptor) v;
          if (value.getIndex() < 0) { // protobuf's stand-in for a number the enum does not list
            return Optional.of(at + " has value " + value.getNumber());
          }
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        for (Object v : values) {
          Optional<String> inner = unknownEnum((MessageOrBuilder) v, at);
          if (inner.isPresent()) {
            return inner;
          }
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<Problem> runKey(String type, String key, String runId) {
    if (runId.isEmpty() || !runId.equals(key)) {
      return malformed(type + " of run '" + runId + "' under record key '" + key + "' (the key must be the run id)");
    }
    return validRunId(type, runId);
  }

  /** A run id no agent could send (a '/', whitespace, '..'): readers key stores and folders by it, so it is refused at the door. */
  private static Optional<Problem> validRunId(String type, String runId) {
    if (!RecordKeys.isValidRunId(runId)) {
      return malformed(type + " names run '" + runId + "', which is no valid run id");
    }
    return Optional.empty();
  }

  private static Optional<Problem> moduleKey(String type, String key, String runId, String module) {
    if (runId.isEmpty() || module.isEmpty() || key == null || !key.equals(runId + RecordKeys.SEPARATOR + module)) {
      return malformed(type + " of run '" + runId + "' module '" + module + "' under record key '" + key + "' (the key must be run/module)");
    }
    return validRunId(type, runId);
  }
}
