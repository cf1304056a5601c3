package io.alpharl.cli;

import picocli.CommandLine.IVersionProvider;

/** Version from the jar manifest, "development" when run from classes. */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = AlphaRl.class.getPackage().getImplementationVersion();
    return new String[] {"alpharl " + (v == null ? "development" : v)};
  }
}
