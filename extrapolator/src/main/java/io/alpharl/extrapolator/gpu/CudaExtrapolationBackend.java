package io.alpharl.extrapolator.gpu;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import io.alpharl.extrapolator.backend.ExtrapolationBackend;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * W_0 + Σ_f x_f v_fᵀ on a CUDA device, with a kernel of our own ({@code low_rank_update.cu}) loaded
 * as PTX through the driver API: the driver JIT-compiles it for the device, so this backend needs
 * {@code libcuda} alone, not a CUDA runtime or cuBLAS of a particular major version. The kernel
 * makes one fused multiply-add per element and factor, in factor order, as the CPU backend does.
 *
 * <p>The matrix goes through in row blocks of about {@code chunkBytes}, alternating between two
 * streams: while the device copies block k in, updates it and copies it out on one stream, the
 * host stages block k+1 into pinned memory and the other stream's copies run on the other copy
 * engine; block k−1 is copied from pinned memory into the caller's array as soon as its event
 * fires. So host staging, both copy directions and the update overlap, and a matrix of any size
 * streams through. Device and pinned memory hold two blocks (they grow to the largest block
 * seen and are reused), not the whole matrix.
 *
 * <p>All CUDA state (context, streams, events, module, buffers) belongs to this instance;
 * status codes become exceptions here; {@link #close} frees everything. Not thread-safe.
 */
public final class CudaExtrapolationBackend implements ExtrapolationBackend {
  /** Row blocks of about this size: large enough to keep the copy engines busy, small enough to pipeline. */
  public static final long DEFAULT_CHUNK_BYTES = 8L << 20;
  private static final String PTX = "low_rank_update.ptx";
  private static final int THREADS = 256;
  private final CUcontext context;
  private final CUstream[] streams;
  private final CUmodule module;
  private final CUfunction kernel;
  private final long chunkBytes;
  private CUevent[] events = new CUevent[0];
  private final String deviceName;
  private CUdeviceptr deviceMatrix = new CUdeviceptr();
  private CUdeviceptr deviceX = new CUdeviceptr();
  private CUdeviceptr deviceV = new CUdeviceptr();
  private Pointer pinned = new Pointer();
  private long capacityFloats;
  private long vectorCapacity;
  private volatile boolean closed;

  private CudaExtrapolationBackend(CUcontext context, CUstream[] streams, CUmodule module, CUfunction kernel, String deviceName, long chunkBytes) {
    this.context = context;
    this.streams = streams;
    this.module = module;
    this.kernel = kernel;
    this.deviceName = deviceName;
    this.chunkBytes = chunkBytes;
  }

  public static CudaExtrapolationBackend open(int ordinal) {
    return open(ordinal, DEFAULT_CHUNK_BYTES);
  }

  /**
   * Opens device {@code ordinal}.
   *
   * @throws IllegalStateException when the driver or a device is not available, or the kernel does not load
   * @throws LinkageError when the JCuda native libraries cannot load (no CUDA driver)
   */
  public static CudaExtrapolationBackend open(int ordinal, long chunkBytes) {
    if (chunkBytes < Float.BYTES) {
      throw new IllegalArgumentException("chunkBytes " + chunkBytes);
    }
    JCudaDriver.setExceptionsEnabled(false);
    check(cuInit(0), "cuInit");
    int[] count = new int[1];
    check(cuDeviceGetCount(count), "cuDeviceGetCount");
    if (count[0] <= ordinal) {
      throw new IllegalStateException("no CUDA device " + ordinal + " (" + count[0] + " present)");
    }
    CUdevice device = new CUdevice();
    check(cuDeviceGet(device, ordinal), "cuDeviceGet");
    byte[] name = new byte[256];
    check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
    CUcontext context = new CUcontext();
    check(cuCtxCreate(context, 0, device), "cuCtxCreate");
    CUstream[] streams = {new CUstream(), new CUstream()};
    CUmodule module = new CUmodule();
    CUfunction kernel = new CUfunction();
    try {
      for (CUstream s : streams) {
        check(cuStreamCreate(s, 0), "cuStreamCreate");
      }
      check(cuModuleLoadData(module, ptx()), "loading the low-rank update kernel (PTX)");
      check(cuModuleGetFunction(kernel, module, "low_rank_update"), "cuModuleGetFunction");
    } catch (RuntimeException e) {
      cuCtxDestroy(context); // frees the streams and the module with it
      throw e;
    }
    String n = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
    return new CudaExtrapolationBackend(context, streams, module, kernel, n, chunkBytes);
  }

  /**
   * Why there is no CUDA device to run on (the driver's library does not load, {@code cuInit}
   * fails, or it counts none); null when one is present. Tells "nothing to run on" from "a device
   * on which this backend does not open", which is a defect.
   */
  public static String whyNoDevice() {
    try {
      JCudaDriver.setExceptionsEnabled(false);
      int init = cuInit(0);
      if (init != CUresult.CUDA_SUCCESS) {
        return "cuInit failed: " + CUresult.stringFor(init);
      }
      int[] count = new int[1];
      int counted = cuDeviceGetCount(count);
      if (counted != CUresult.CUDA_SUCCESS) {
        return "cuDeviceGetCount failed: " + CUresult.stringFor(counted);
      }
      return count[0] == 0 ? "the driver counts no device" : null;
    } catch (LinkageError e) {
      return "the CUDA driver library does not load (" + e + ")";
    }
  }

  /** The kernel's PTX, bundled as a resource (nul-terminated, as the driver wants text). */
  private static byte[] ptx() {
    try (java.io.InputStream in = CudaExtrapolationBackend.class.getResourceAsStream(PTX)) {
      if (in == null) {
        throw new IllegalStateException(PTX + " is not on the class path");
      }
      byte[] text = in.readAllBytes();
      return java.util.Arrays.copyOf(text, text.length + 1);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot read " + PTX + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void rankOneUpdate(float[] base, int m, int n, float[] x, float[] v, float[] out) {
    ExtrapolationBackend.checkShapes(base, m, n, x, v, out);
    lowRankUpdate(base, m, n, x, v, 1, out);
  }

  // Synchronized, with close: a writer that gave up waiting on this call (AheadOfWriter's time limit) closes the backend while
  // the call may still stage into the pinned memory close frees; and two callers would share the staging slots.
  @Override
  public synchronized void lowRankUpdate(float[] base, int m, int n, float[] x, float[] v, int rank, float[] out) {
    ExtrapolationBackend.checkShapes(base, m, n, x, v, rank, out);
    if (base.length == 0) {
      return; // nothing to update, as on the CPU (row blocks need a row)
    }
    if (closed) {
      // Its context destroyed, the handle may since name another context: the driver does not say.
      throw new IllegalStateException("the CUDA backend is closed");
    }
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    RowBlocks blocks = RowBlocks.of(m, n, chunkBytes);
    long slotFloats = blocks.slotFloats();
    ensureCapacity(2 * slotFloats, (long) Math.max(1, rank) * Math.max(m, n));
    ensureEvents(blocks.count());
    // x and v are small: synchronous copies from the Java arrays, before any stream starts (the
    // streams are blocking ones, so they also wait for these on the legacy default stream).
    if (rank > 0) {
      check(cuMemcpyHtoD(deviceX, Pointer.to(x), (long) rank * m * Float.BYTES), "copy x to the device");
      check(cuMemcpyHtoD(deviceV, Pointer.to(v), (long) rank * n * Float.BYTES), "copy v to the device");
    }
    FloatBuffer staging = pinned.getByteBuffer(0, 2 * slotFloats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    try {
      for (int k = 0; k < blocks.count(); k++) {
        int row = blocks.firstRow(k);
        int rows = blocks.rows(k);
        int slot = RowBlocks.slot(k);
        long slotBytes = slot * slotFloats * Float.BYTES;
        long bytes = (long) rows * n * Float.BYTES;
        CUstream stream = streams[slot];
        staging.put((int) (slot * slotFloats), base, row * n, rows * n);
        CUdeviceptr block = deviceMatrix.withByteOffset(slotBytes);
        check(cuMemcpyHtoDAsync(block, pinned.withByteOffset(slotBytes), bytes, stream), "copy W_0 to the device");
        long elements = (long) rows * n;
        int grid = (int) Math.max(1, Math.min(65_535, (elements + THREADS - 1) / THREADS));
        Pointer params = Pointer.to(Pointer.to(block), Pointer.to(deviceX), Pointer.to(deviceV), Pointer.to(new long[] {rows}),
            Pointer.to(new long[] {n}), Pointer.to(new long[] {m}), Pointer.to(new int[] {rank}), Pointer.to(new long[] {row}));
        check(cuLaunchKernel(kernel, grid, 1, 1, THREADS, 1, 1, 0, stream, params, null), "launching the low-rank update kernel");
        check(cuMemcpyDtoHAsync(pinned.withByteOffset(slotBytes), block, bytes, stream), "copy W_pred to the host");
        check(cuEventRecord(events[k], stream), "cuEventRecord");
        if (k > 0) {
          drain(staging, blocks, k - 1, out);
        }
      }
      drain(staging, blocks, blocks.count() - 1, out);
    } catch (RuntimeException | Error e) {
      // Copies already queued would go on writing into the pinned and device slots while the next call stages into them (an
      // OutOfMemoryError from the writer's heap included: the next call reuses the slots).
      for (CUstream s : streams) {
        cuStreamSynchronize(s);
      }
      throw e;
    }
  }

  /** Waits for block {@code k} and copies it from its pinned slot into {@code out}. */
  private void drain(FloatBuffer staging, RowBlocks blocks, int k, float[] out) {
    check(cuEventSynchronize(events[k]), "cuEventSynchronize");
    staging.get((int) (RowBlocks.slot(k) * blocks.slotFloats()), out, blocks.firstRow(k) * blocks.n(), blocks.rows(k) * blocks.n());
  }

  private void ensureEvents(int count) {
    if (count <= events.length) {
      return;
    }
    CUevent[] grown = java.util.Arrays.copyOf(events, count);
    for (int i = events.length; i < count; i++) {
      grown[i] = new CUevent();
      check(cuEventCreate(grown[i], CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    }
    events = grown;
  }

  /**
   * Grows the device and pinned buffers. The old ones are let go first (the device may not hold
   * both), and the new ones are kept only once every allocation of the pair succeeded: a failed
   * allocation (a device shared with the trainer runs out) left the old capacity standing over
   * freed memory, and the next call wrote into it.
   */
  private void ensureCapacity(long elements, long vector) {
    if (elements > capacityFloats) {
      if (capacityFloats > 0) {
        cuMemFree(deviceMatrix);
        cuMemFreeHost(pinned);
        capacityFloats = 0;
      }
      CUdeviceptr matrix = new CUdeviceptr();
      Pointer host = new Pointer();
      check(cuMemAlloc(matrix, elements * Float.BYTES), "cuMemAlloc matrix");
      try {
        check(cuMemAllocHost(host, elements * Float.BYTES), "cuMemAllocHost staging");
      } catch (RuntimeException e) {
        cuMemFree(matrix);
        throw e;
      }
      deviceMatrix = matrix;
      pinned = host;
      capacityFloats = elements;
    }
    if (vector > vectorCapacity) {
      if (vectorCapacity > 0) {
        cuMemFree(deviceX);
        cuMemFree(deviceV);
        vectorCapacity = 0;
      }
      CUdeviceptr x = new CUdeviceptr();
      CUdeviceptr v = new CUdeviceptr();
      check(cuMemAlloc(x, vector * Float.BYTES), "cuMemAlloc x");
      try {
        check(cuMemAlloc(v, vector * Float.BYTES), "cuMemAlloc v");
      } catch (RuntimeException e) {
        cuMemFree(x);
        throw e;
      }
      deviceX = x;
      deviceV = v;
      vectorCapacity = vector;
    }
  }

  @Override
  public String name() {
    return "cuda(" + deviceName + ", PTX kernel, 2 streams)";
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    cuCtxSetCurrent(context);
    cuCtxSynchronize(); // nothing queued may still copy into the pinned memory freed below
    if (capacityFloats > 0) {
      cuMemFree(deviceMatrix);
      cuMemFreeHost(pinned);
    }
    if (vectorCapacity > 0) {
      cuMemFree(deviceX);
      cuMemFree(deviceV);
    }
    for (CUevent e : events) {
      cuEventDestroy(e);
    }
    cuModuleUnload(module);
    for (CUstream s : streams) {
      cuStreamDestroy(s);
    }
    cuCtxDestroy(context);
  }

  private static void check(int result, String what) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new IllegalStateException(what + " failed: " + CUresult.stringFor(result));
    }
  }



}
