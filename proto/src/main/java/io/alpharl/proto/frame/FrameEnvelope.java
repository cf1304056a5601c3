package io.alpharl.proto.frame;

import com.google.protobuf.InvalidProtocolBufferException;
import io.alpharl.proto.topic.RecordKeys;
import io.alpharl.proto.topic.Topics;
import io.alpharl.proto.v1.DeltaChunkHeader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The byte layout of a delta frame, and its checks.
 *
 * <pre>
 * offset 0   4 bytes   magic "ARLF"
 *        4   u32 BE    header length H
 *        8   u32 BE    CRC32C of the H header bytes
 *        12  H bytes   DeltaChunkHeader (Protobuf)
 *        12+H ...      Arrow IPC stream: schema, one record batch, end marker;
 *                      its CRC32C is header.payload_crc32c
 * </pre>
 *
 * The header has its own checksum so that a flipped bit in a field such as the element offset is
 * caught before the header is believed. Stateless.
 */
public final class FrameEnvelope {
  static final int MAGIC = 0x41524C46; // "ARLF"
  static final int PREFIX_BYTES = 12;
  private static final int MAX_HEADER_BYTES = 64 * 1024;

  private FrameEnvelope() {}

  /** Builds the frame bytes; sets the header's payload checksum. */
  public static DeltaFrame wrap(DeltaChunkHeader.Builder header, byte[] payload, int payloadLength) {
    DeltaChunkHeader h = header.setPayloadCrc32C(crc32c(payload, 0, payloadLength)).build();
    byte[] hb = h.toByteArray();
    byte[] out = new byte[PREFIX_BYTES + hb.length + payloadLength];
    ByteBuffer bb = ByteBuffer.wrap(out).order(ByteOrder.BIG_ENDIAN);
    bb.putInt(MAGIC).putInt(hb.length).putInt(crc32c(hb, 0, hb.length)).put(hb).put(payload, 0, payloadLength);
    return new DeltaFrame(h, out, PREFIX_BYTES + hb.length, payloadLength);
  }

  /**
   * Checks and parses frame bytes: magic, lengths, both checksums, schema version and the
   * header's own consistency (see {@link #checkHeader}). The payload's values are read later by
   * {@link ChunkDecoder}.
   *
   * @throws FrameException with {@link FrameError#CORRUPT_FRAME}, {@link FrameError#CHECKSUM_MISMATCH},
   *     {@link FrameError#UNSUPPORTED_SCHEMA_VERSION} or {@link FrameError#SHAPE_MISMATCH}
   */
  public static DeltaFrame parse(byte[] bytes) {
    if (bytes == null || bytes.length < PREFIX_BYTES) {
      throw new FrameException(FrameError.CORRUPT_FRAME,
          "frame has " + (bytes == null ? 0 : bytes.length) + " bytes, fewer than the " + PREFIX_BYTES + "-byte prefix");
    }
    ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
    int magic = bb.getInt();
    if (magic != MAGIC) {
      throw new FrameException(FrameError.CORRUPT_FRAME, String.format(java.util.Locale.ROOT, "bad magic 0x%08x, expected 0x%08x (\"ARLF\")", magic, MAGIC));
    }
    int headerLength = bb.getInt();
    int headerCrc = bb.getInt();
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > bytes.length - PREFIX_BYTES) {
      throw new FrameException(FrameError.CORRUPT_FRAME,
          "header length " + Integer.toUnsignedString(headerLength) + " does not fit a frame of " + bytes.length + " bytes");
    }
    int actualHeaderCrc = crc32c(bytes, PREFIX_BYTES, headerLength);
    if (actualHeaderCrc != headerCrc) {
      throw new FrameException(FrameError.CHECKSUM_MISMATCH,
          String.format(java.util.Locale.ROOT, "header CRC32C is 0x%08x, the frame says 0x%08x", actualHeaderCrc, headerCrc));
    }
    DeltaChunkHeader header;
    try {
      header = DeltaChunkHeader.parseFrom(ByteBuffer.wrap(bytes, PREFIX_BYTES, headerLength));
    } catch (InvalidProtocolBufferException e) {
      throw new FrameException(FrameError.CORRUPT_FRAME, "header is not a DeltaChunkHeader: " + e.getMessage(), e);
    }
    if (header.getSchemaVersion() != Topics.SCHEMA_VERSION) {
      throw new FrameException(FrameError.UNSUPPORTED_SCHEMA_VERSION,
          "frame has schema version " + header.getSchemaVersion() + ", this build reads " + Topics.SCHEMA_VERSION);
    }
    int payloadOffset = PREFIX_BYTES + headerLength;
    int payloadLength = bytes.length - payloadOffset;
    int payloadCrc = crc32c(bytes, payloadOffset, payloadLength);
    if (payloadCrc != header.getPayloadCrc32C()) {
      throw new FrameException(FrameError.CHECKSUM_MISMATCH, String.format(java.util.Locale.ROOT, "%s step %d chunk %d: payload CRC32C is 0x%08x, the header says 0x%08x",
          header.getTensorName(), header.getStep(), header.getChunkIndex(), payloadCrc, header.getPayloadCrc32C()));
    }
    checkHeader(header);
    if (header.getRunEnded() && (payloadLength != 0 || header.getElementCount() != 0 || header.getChunkCount() != 1)) {
      throw new FrameException(FrameError.CORRUPT_FRAME, header.getTensorName() + " step " + header.getStep() + ": a frame that ends the run"
          + " carries no values, but this one has " + header.getElementCount() + " elements in " + header.getChunkCount() + " chunks and "
          + payloadLength + " payload bytes");
    }
    return new DeltaFrame(header, bytes, payloadOffset, payloadLength);
  }

  /** Checks that a header describes a possible chunk of the tensor it names. */
  static void checkHeader(DeltaChunkHeader h) {
    String where = h.getTensorName() + " step " + h.getStep() + " chunk " + h.getChunkIndex();
    if (h.getRunId().isEmpty() || h.getTensorName().isEmpty()) {
      throw new FrameException(FrameError.CORRUPT_FRAME, where + ": run id and tensor name must be set");
    }
    if (!RecordKeys.isValidRunId(h.getRunId())) {
      // Refused here, where live processing and a restore both look, not later by the key it would make.
      throw new FrameException(FrameError.CORRUPT_FRAME, where + ": run id '" + h.getRunId() + "' is no valid run id");
    }
    long elements = Shapes.elementCount(h.getShapeList(), where);
    if (h.getChunkCount() < 1 || Integer.toUnsignedLong(h.getChunkIndex()) >= Integer.toUnsignedLong(h.getChunkCount())) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": chunk index " + Integer.toUnsignedString(h.getChunkIndex())
          + " is not below chunk count " + Integer.toUnsignedString(h.getChunkCount()));
    }
    long offset = h.getElementOffset();
    long count = h.getElementCount();
    if (offset < 0 || count < 0 || offset > elements || count > elements - offset) {
      throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": elements [" + Long.toUnsignedString(offset) + ", +"
          + Long.toUnsignedString(count) + ") lie outside a tensor of " + elements + " elements, shape " + h.getShapeList());
    }
    if (WireDtype.of(h.getValueDtype()) == null) {
      throw new FrameException(FrameError.CORRUPT_FRAME, where + ": value dtype " + h.getValueDtype() + " is not a wire dtype (F32, BF16, F16)");
    }
    long values = h.getValueCount();
    switch (h.getEncoding()) {
      case CHUNK_ENCODING_DENSE -> {
        if (values != count) {
          throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": dense chunk of " + count + " elements says it has " + values + " values");
        }
      }
      case CHUNK_ENCODING_SPARSE -> {
        if (values < 0 || values > count) {
          throw new FrameException(FrameError.SHAPE_MISMATCH, where + ": sparse chunk of " + count + " elements says it has " + values + " non-zeros");
        }
      }
      default -> throw new FrameException(FrameError.CORRUPT_FRAME, where + ": unknown chunk encoding " + h.getEncodingValue());
    }
  }

  static int crc32c(byte[] b, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(b, off, len);
    return (int) crc.getValue();
  }
}
