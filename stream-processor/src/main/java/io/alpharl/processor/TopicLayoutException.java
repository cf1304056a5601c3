package io.alpharl.processor;

/**
 * The topics are laid out so that the processor cannot work on them (the run-keyed topics with
 * different partition counts): the administrator's to fix, which the command reports in one line.
 */
public final class TopicLayoutException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public TopicLayoutException(String message) {
    super(message);
  }
}
