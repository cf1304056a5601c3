package io.alpharl.cli;

import io.alpharl.proto.topic.RecordKeys;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A run id as every topic keys it ({@link RecordKeys#requireValidRunId}), checked where the user
 * typed it: a bad one is a one-line usage error, not a stack trace from deep in the agent.
 */
public final class RunIdConverter implements ITypeConverter<String> {
  @Override
  public String convert(String value) {
    try {
      return RecordKeys.requireValidRunId(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
