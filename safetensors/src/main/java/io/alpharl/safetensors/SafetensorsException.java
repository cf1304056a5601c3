package io.alpharl.safetensors;

/** A safetensors file or checkpoint is not valid; the message names the file, tensor and numbers. */
public final class SafetensorsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SafetensorsException(String message) {
    super(message);
  }

  public SafetensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
