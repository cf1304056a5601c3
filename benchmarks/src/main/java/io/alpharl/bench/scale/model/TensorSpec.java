package io.alpharl.bench.scale.model;

import io.alpharl.safetensors.DType;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One tensor of a synthetic model: its name, checkpoint dtype and shape. Immutable.
 *
 * @param shape dimensions, outermost first (rows, then columns for a matrix)
 */
public record TensorSpec(String name, DType dtype, List<Long> shape) {
  /** Token embeddings: an RL step's gradient reaches only the rows of the tokens in its batch. */
  private static final Pattern EMBEDDING = Pattern.compile("(.*\\.)?(embed_tokens|wte|word_embeddings)\\.weight");

  /** How the generator moves a tensor's values. */
  public enum Kind {
    /** A 2-D weight: low-rank drift plus noise on every element. */
    MATRIX,
    /** Token embeddings: the same update, on a few rows per step. */
    EMBEDDING,
    /** Norm weights and biases: noise only. */
    VECTOR
  }

  public TensorSpec {
    if (name == null || name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("tensor name must be non-empty without spaces, got '" + name + "'");
    }
    shape = List.copyOf(shape);
    if (shape.isEmpty() || shape.stream().anyMatch(d -> d < 1)) {
      throw new IllegalArgumentException("tensor " + name + ": shape " + shape + " must have at least one dimension, each positive");
    }
  }

  public long elements() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public long bytes() {
    return elements() * dtype.bytes();
  }

  /** Rows of the tensor seen as a matrix: every dimension but the last. */
  public long rows() {
    return elements() / columns();
  }

  public long columns() {
    return shape.get(shape.size() - 1);
  }

  public Kind kind() {
    if (shape.size() == 1) {
      return Kind.VECTOR;
    }
    return EMBEDDING.matcher(name).matches() ? Kind.EMBEDDING : Kind.MATRIX;
  }
}
