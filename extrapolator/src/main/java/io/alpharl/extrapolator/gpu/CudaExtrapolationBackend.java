package io.alpharl.extrapolator.gpu;

import static jcuda.driver.JCudaDriver.cuCtxCreate;
import static jcuda.driver.JCudaDriver.cuCtxDestroy;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
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
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasStatus;
import jcuda.runtime.cudaStream_t;

/**
 * W_0 + x vᵀ on a CUDA device with cuBLAS {@code sger}. A row-major m × n matrix is a
 * column-major n × m one, so the update is {@code A += v xᵀ} there: {@code sger(n, m, 1, v, 1, x, 1, A, n)}.
 * Host data is staged through pinned buffers and copied on one stream, so the copies in and out
 * overlap the host's own work; device and pinned buffers grow to the largest module and are
 * reused.
 *
 * <p>All CUDA state (context, stream, cuBLAS handle, buffers) belongs to this instance; status
 * codes become exceptions here; {@link #close} frees everything. Not thread-safe.
 */
public final class CudaExtrapolationBackend implements ExtrapolationBackend {
  private final CUcontext context;
  private final CUstream stream;
  private final cublasHandle blas;
  private final String deviceName;
  private CUdeviceptr deviceMatrix = new CUdeviceptr();
  private final CUdeviceptr deviceX = new CUdeviceptr();
  private final CUdeviceptr deviceV = new CUdeviceptr();
  private Pointer pinned = new Pointer();
  private long capacityFloats;
  private long vectorCapacity;
  private boolean closed;

  private CudaExtrapolationBackend(CUcontext context, CUstream stream, cublasHandle blas, String deviceName) {
    this.context = context;
    this.stream = stream;
    this.blas = blas;
    this.deviceName = deviceName;
  }

  /**
   * Opens device {@code ordinal}.
   *
   * @throws IllegalStateException when the driver, a device or cuBLAS is not available
   * @throws LinkageError when the JCuda native libraries cannot load (no CUDA driver)
   */
  public static CudaExtrapolationBackend open(int ordinal) {
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
    CUstream stream = new CUstream();
    cublasHandle blas = new cublasHandle();
    try {
      check(cuStreamCreate(stream, 0), "cuStreamCreate");
      checkBlas(JCublas2.cublasCreate(blas), "cublasCreate");
      checkBlas(JCublas2.cublasSetStream(blas, new cudaStream_t(stream)), "cublasSetStream");
    } catch (RuntimeException e) {
      cuCtxDestroy(context);
      throw e;
    }
    String n = new String(name, java.nio.charset.StandardCharsets.US_ASCII).trim().replace("\0", "");
    return new CudaExtrapolationBackend(context, stream, blas, n);
  }

  @Override
  public void rankOneUpdate(float[] base, int m, int n, float[] x, float[] v, float[] out) {
    ExtrapolationBackend.checkShapes(base, m, n, x, v, out);
    check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    long elements = (long) m * n;
    ensureCapacity(elements, Math.max(m, n));
    long bytes = elements * Float.BYTES;
    FloatBuffer staging = pinned.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
    staging.put(base);
    check(cuMemcpyHtoDAsync(deviceMatrix, pinned, bytes, stream), "copy W_0 to the device");
    check(cuMemcpyHtoDAsync(deviceX, Pointer.to(x), (long) m * Float.BYTES, stream), "copy x to the device");
    check(cuMemcpyHtoDAsync(deviceV, Pointer.to(v), (long) n * Float.BYTES, stream), "copy v to the device");
    checkBlas(JCublas2.cublasSger(blas, n, m, Pointer.to(new float[] {1f}), deviceV, 1, deviceX, 1, deviceMatrix, n), "cublasSger");
    check(cuMemcpyDtoHAsync(pinned, deviceMatrix, bytes, stream), "copy W_pred to the host");
    check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    staging.rewind();
    staging.get(out);
  }

  private void ensureCapacity(long elements, long vector) {
    if (elements > capacityFloats) {
      if (capacityFloats > 0) {
        cuMemFree(deviceMatrix);
        cuMemFreeHost(pinned);
        deviceMatrix = new CUdeviceptr();
        pinned = new Pointer();
      }
      check(cuMemAlloc(deviceMatrix, elements * Float.BYTES), "cuMemAlloc matrix");
      check(cuMemAllocHost(pinned, elements * Float.BYTES), "cuMemAllocHost staging");
      capacityFloats = elements;
    }
    if (vector > vectorCapacity) {
      if (vectorCapacity > 0) {
        cuMemFree(deviceX);
        cuMemFree(deviceV);
      }
      check(cuMemAlloc(deviceX, vector * Float.BYTES), "cuMemAlloc x");
      check(cuMemAlloc(deviceV, vector * Float.BYTES), "cuMemAlloc v");
      vectorCapacity = vector;
    }
  }

  @Override
  public String name() {
    return "cuda(" + deviceName + ", cuBLAS sger)";
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    cuCtxSetCurrent(context);
    if (capacityFloats > 0) {
      cuMemFree(deviceMatrix);
      cuMemFreeHost(pinned);
    }
    if (vectorCapacity > 0) {
      cuMemFree(deviceX);
      cuMemFree(deviceV);
    }
    JCublas2.cublasDestroy(blas);
    cuStreamDestroy(stream);
    cuCtxDestroy(context);
  }

  private static void check(int result, String what) {
    if (result != CUresult.CUDA_SUCCESS) {
      throw new IllegalStateException(what + " failed: " + CUresult.stringFor(result));
    }
  }

  private static void checkBlas(int status, String what) {
    if (status != cublasStatus.CUBLAS_STATUS_SUCCESS) {
      throw new IllegalStateException(what + " failed: " + cublasStatus.stringFor(status));
    }
  }

}
