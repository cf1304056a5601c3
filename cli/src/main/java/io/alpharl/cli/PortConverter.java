package io.alpharl.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A TCP port, 0 to 65535 (0 means none, or any free one, as each option says). A value outside
 * was found only when the server was made, as a stack trace, and a negative one silently meant 0.
 */
public final class PortConverter implements ITypeConverter<Integer> {
  @Override
  public Integer convert(String value) {
    int port;
    try {
      port = Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a port number");
    }
    if (port < 0 || port > 65535) {
      throw new TypeConversionException("port " + port + " is outside 0..65535");
    }
    return port;
  }
}
