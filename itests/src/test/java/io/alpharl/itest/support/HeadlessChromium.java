package io.alpharl.itest.support;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver (both installed by
 * {@code itests/setup/install-test-tools.sh}). Selenium is told where they are, so it never tries
 * to download a browser or a driver; the machine has no route to do so.
 */
public final class HeadlessChromium implements AutoCloseable {
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriver driver;

  private HeadlessChromium(ChromeDriver driver) {
    this.driver = driver;
  }

  /** @param profile an empty directory for the browser's profile */
  public static HeadlessChromium start(Path profile) {
    for (Path tool : new Path[] {CHROMIUM, CHROMEDRIVER}) {
      if (!Files.isExecutable(tool)) {
        throw new IllegalStateException(tool + " is missing: the build installs it with itests/setup/install-test-tools.sh "
            + "(skipped with -Dalpharl.skipToolInstall); run that script, or apt-get install chromium chromium-driver");
      }
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // No background networking: the browser must not reach for Google's services from a closed machine.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1900",
        "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
        .usingAnyFreePort().build();
    return new HeadlessChromium(new ChromeDriver(service, options));
  }

  public WebDriver driver() {
    return driver;
  }

  public Object script(String js, Object... args) {
    return driver.executeScript(js, args);
  }

  public <T> T await(Duration timeout, String what, Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, timeout).withMessage(what).until(condition);
  }

  public void screenshot(Path file) throws java.io.IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() {
    driver.quit();
  }
}
