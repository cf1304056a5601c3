package io.alpharl.cli.agent;

import io.alpharl.proto.frame.RecordEntry;
import io.alpharl.proto.frame.RecordingReader;
import io.alpharl.proto.v1.RunManifest;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;

/** Reads the run id a recording was made under. */
public final class RecordingManifest {
  private RecordingManifest() {}

  public static String runId(BufferAllocator allocator, Path recording) throws IOException {
    try (RecordingReader reader = new RecordingReader(allocator, recording)) {
      for (RecordEntry e : reader.nextBatch()) {
        if (e.kind() == RecordEntry.Kind.MANIFEST) {
          return RunManifest.parseFrom(e.value()).getRunId();
        }
      }
    }
    throw new IOException(recording + " does not start with a run manifest");
  }
}
