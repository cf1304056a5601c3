package io.alpharl.bench.scale.gen;

import io.alpharl.bench.scale.model.ModelSpec;
import io.alpharl.bench.scale.model.TensorSpec;
import io.alpharl.safetensors.Checkpoint;
import io.alpharl.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Writes the checkpoints of a synthetic RL run, one step at a time, as a Hugging Face Trainer
 * lays them out: {@code model.safetensors} (the model's dtypes, rounded from the f32 master),
 * {@code config.json}, then {@code trainer_state.json} last. The master is initialised once and
 * moved a step per checkpoint (see {@link DriftSettings}); it lives in a memory-mapped file,
 * and a tensor is updated and written before the next is touched, so the heap holds a few rows.
 * Steps must be written in order, the base (step 0) first. Not thread-safe; owns the master file.
 */
public final class SyntheticRun implements AutoCloseable {
  private final ModelSpec model;
  private final DriftSettings settings;
  private final long plannedSteps;
  private final RewardCurve reward;
  private final MasterWeights master;
  private final TensorUpdate[] updates;
  private final Map<String, Integer> index = new HashMap<>();
  private long lastStep = -1;

  /**
   * @param plannedSteps written as {@code max_steps}
   * @param masterFile   where the f32 master lives while the run is written (4 bytes per parameter); deleted on close
   */
  public SyntheticRun(ModelSpec model, DriftSettings settings, long plannedSteps, Path masterFile) throws IOException {
    this.model = model;
    this.settings = settings;
    this.plannedSteps = plannedSteps;
    this.reward = new RewardCurve(settings.seed(), plannedSteps);
    this.master = new MasterWeights(masterFile, model);
    this.updates = new TensorUpdate[model.tensors().size()];
    for (int i = 0; i < updates.length; i++) {
      updates[i] = new TensorUpdate(settings, model.tensors().get(i), i);
      index.put(model.tensors().get(i).name(), i);
    }
  }

  /** Writes the next checkpoint, step {@code step}, into {@code dir} (created; must not hold one already). */
  public StepStats write(long step, Path dir) throws IOException {
    if (step != lastStep + 1) {
      throw new IllegalStateException("steps are written in order: expected step " + (lastStep + 1) + ", asked for " + step);
    }
    long t0 = System.nanoTime();
    Files.createDirectories(dir);
    long[] unchanged = {0};
    SafetensorsWriter writer = new SafetensorsWriter(Map.of("format", "pt"));
    for (TensorSpec t : model.tensors()) {
      writer.add(t.name(), t.dtype(), t.shape());
    }
    writer.writeTo(dir.resolve(Checkpoint.SINGLE_FILE), (name, sink) -> {
      int i = index.get(name);
      FloatBuffer values = master.tensor(i);
      if (step == 0) {
        updates[i].initialise(values);
        unchanged[0] += model.tensors().get(i).elements();
      } else {
        unchanged[0] += updates[i].step(values, step);
      }
      sink.put(values);
    });
    master.force();
    TrainerFiles.writeConfig(dir, model.config());
    TrainerFiles.writeTrainerState(dir, step, plannedSteps, reward);
    lastStep = step;
    return new StepStats(step, model.parameters(), unchanged[0], Files.size(dir.resolve(Checkpoint.SINGLE_FILE)), (System.nanoTime() - t0) / 1e9);
  }

  public DriftSettings settings() {
    return settings;
  }

  @Override
  public void close() throws IOException {
    master.close();
  }
}
