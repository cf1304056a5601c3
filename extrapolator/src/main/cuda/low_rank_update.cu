// W += sum_f x_f v_f^T over a block of rows of a row-major matrix, the predicted model's low-rank
// part. Each element gets one fused multiply-add per factor, in factor order, in f32: the same
// operations the CPU backend makes, so both give the same bits.
//
// Compiled to PTX for the oldest architecture CUDA 13 supports; the driver JIT-compiles it for the
// device at hand, so the backend needs libcuda alone, not a runtime or cuBLAS of a given version:
//   nvcc -ptx -arch=compute_75 -o low_rank_update.ptx low_rank_update.cu   (see the README of this folder)
extern "C" __global__ void low_rank_update(float* block, const float* x, const float* v, long long rows, long long n, long long m,
                                           int rank, long long first_row) {
  long long elements = rows * n;
  for (long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x; idx < elements; idx += (long long)gridDim.x * blockDim.x) {
    long long i = idx / n;
    long long j = idx - i * n;
    float acc = block[idx];
    for (int f = 0; f < rank; f++) {
      acc = __fmaf_rn(x[f * m + first_row + i], v[f * n + j], acc);
    }
    block[idx] = acc;
  }
}
