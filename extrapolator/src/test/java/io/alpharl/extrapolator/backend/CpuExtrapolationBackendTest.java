package io.alpharl.extrapolator.backend;

class CpuExtrapolationBackendTest extends ExtrapolationBackendContract {
  @Override
  protected ExtrapolationBackend createBackend() {
    return new CpuExtrapolationBackend(2);
  }
}
