package io.alpharl.extrapolator.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Why the CUDA backend did not open, in one line that says the cause, not only its first words. */
class ExtrapolationBackendsTest {
  @Test
  void theRootCauseIsSaidBesideTheFirstLine() {
    UnsatisfiedLinkError linkage = new UnsatisfiedLinkError("Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\n"
        + "Operating system name: Linux");
    linkage.initCause(new UnsatisfiedLinkError("libcuda.so.1: cannot open shared object file: No such file or directory"));
    assertThat(ExtrapolationBackends.why(linkage)).isEqualTo("Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\""
        + " (UnsatisfiedLinkError: libcuda.so.1: cannot open shared object file: No such file or directory)");
    assertThat(ExtrapolationBackends.why(new IllegalStateException("loading the low-rank update kernel (PTX): CUDA_ERROR_INVALID_PTX")))
        .as("no other cause: the line alone").isEqualTo("loading the low-rank update kernel (PTX): CUDA_ERROR_INVALID_PTX");
  }
}
