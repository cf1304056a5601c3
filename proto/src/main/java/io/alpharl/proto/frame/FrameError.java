package io.alpharl.proto.frame;

import io.alpharl.proto.v1.RejectReason;

/** Why a delta frame, or a sequence of them, was rejected. Each maps to a dead-letter reason. */
public enum FrameError {
  /** Bytes that are not a frame: bad magic, truncated, header or Arrow payload unreadable. */
  CORRUPT_FRAME(RejectReason.REJECT_REASON_CORRUPT_FRAME),
  /** Header or payload bytes do not match their CRC32C. */
  CHECKSUM_MISMATCH(RejectReason.REJECT_REASON_CHECKSUM_MISMATCH),
  /** Shape, element range or value count inconsistent within a frame or with earlier chunks. */
  SHAPE_MISMATCH(RejectReason.REJECT_REASON_SHAPE_MISMATCH),
  /** A NaN or infinite value: it would poison the cumulative update for good. */
  NON_FINITE_VALUE(RejectReason.REJECT_REASON_NON_FINITE_VALUE),
  /** A chunk index that was already accepted for this tensor and step. */
  DUPLICATE_CHUNK(RejectReason.REJECT_REASON_DUPLICATE_CHUNK),
  /** A chunk index past the next expected one (an earlier chunk is missing or late). */
  OUT_OF_ORDER_CHUNK(RejectReason.REJECT_REASON_OUT_OF_ORDER_CHUNK),
  /** The tensor was closed before all of its chunks arrived. */
  MISSING_CHUNK(RejectReason.REJECT_REASON_MISSING_CHUNK),
  /** A schema version this build does not read. */
  UNSUPPORTED_SCHEMA_VERSION(RejectReason.REJECT_REASON_UNSUPPORTED_SCHEMA_VERSION);

  private final RejectReason rejectReason;

  FrameError(RejectReason rejectReason) {
    this.rejectReason = rejectReason;
  }

  public RejectReason rejectReason() {
    return rejectReason;
  }
}
