package io.alpharl.bench.scale.gen;

import io.alpharl.bench.scale.model.TensorSpec;
import io.alpharl.safetensors.HalfFloats;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * The cumulative update ΔW_t = bf16(W_t) − bf16(W_0) of one matrix, step after step, made as the
 * scale benchmark's run makes it ({@link DriftSettings}): what the processor's factor solver sees
 * for that matrix. For solver-only measurements. The f32 master lives in the heap (4 bytes a value).
 */
public final class UpdateSequence {
  private final TensorUpdate update;
  private final FloatBuffer master;
  private final float[] base;
  private long step;

  public UpdateSequence(DriftSettings settings, int rows, int columns) {
    TensorSpec spec = new TensorSpec("model.layers.0.mlp.up_proj.weight", io.alpharl.safetensors.DType.BF16, List.of((long) rows, (long) columns));
    this.update = new TensorUpdate(settings, spec, 0);
    this.master = FloatBuffer.allocate(Math.multiplyExact(rows, columns));
    update.initialise(master);
    this.base = stored();
  }

  /** Moves the master one step and returns the new ΔW, row-major. */
  public float[] next() {
    update.step(master, ++step);
    float[] d = stored();
    for (int i = 0; i < d.length; i++) {
      d[i] -= base[i];
    }
    return d;
  }

  private float[] stored() {
    float[] v = new float[master.capacity()];
    for (int i = 0; i < v.length; i++) {
      v[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(master.get(i)));
    }
    return v;
  }
}
