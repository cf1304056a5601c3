package io.alpharl.proto.topic;

import com.google.protobuf.ProtocolMessageEnum;

/**
 * Short lower-case labels of the wire enums, for metrics labels, JSON, folder names and terminal
 * output: {@code PROGRESS_AXIS_SIGNAL} is {@code signal}, {@code GATE_STATE_PASSING} is
 * {@code passing}, {@code REJECT_REASON_CORRUPT_FRAME} is {@code corrupt_frame}.
 */
public final class EnumLabels {
  private EnumLabels() {}

  /** The value's name without its enum's prefix (the name up to and including its second '_' for these enums), lower case. */
  public static String of(ProtocolMessageEnum value) {
    if (value instanceof Enum<?> e && e.name().equals("UNRECOGNIZED")) {
      return "unknown"; // a number this build has no name for: readers refuse such messages, but a label must not throw
    }
    String enumName = value.getDescriptorForType().getName(); // e.g. ProgressAxis
    String prefix = enumName.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT) + "_";
    String name = value.getValueDescriptor().getName();
    // Locale.ROOT: under a Turkish default, "I" lowered to a dotless "ı" (passıng), and a label names folders and store keys.
    return (name.startsWith(prefix) ? name.substring(prefix.length()) : name).toLowerCase(java.util.Locale.ROOT);
  }
}
