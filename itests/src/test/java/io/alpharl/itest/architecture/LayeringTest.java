package io.alpharl.itest.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Which module may use which, checked on the product's classes (test code left out):
 * <ul>
 *   <li>the three services (agent, processor, extrapolator) and the embedded broker never use one
 *       another: what they share is the wire ({@code proto}), the weight files ({@code
 *       safetensors}) and the maths ({@code fit}); only the {@code cli} and the benchmarks put
 *       them together;
 *   <li>the shared libraries use no service;
 *   <li>JCuda is used in one package, {@code extrapolator.gpu}; Arrow's vectors and IPC format
 *       only in the frame codec ({@code proto.frame}); its memory allocators, which only own
 *       buffers, travel anywhere.
 * </ul>
 * Each rule is also run on a deliberately misplaced class, which it must reject.
 */
class LayeringTest {
  private static final String AGENT = "io.alpharl.agent..";
  private static final String PROCESSOR = "io.alpharl.processor..";
  private static final String EXTRAPOLATOR = "io.alpharl.extrapolator..";
  private static final String BROKER = "io.alpharl.broker..";
  private static final String CLI = "io.alpharl.cli..";
  private static final String BENCH = "io.alpharl.bench..";
  private static final String[] SHARED = {"io.alpharl.proto..", "io.alpharl.safetensors..", "io.alpharl.fit.."};

  private static JavaClasses product;

  @BeforeAll
  static void importProduct() {
    product = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.alpharl");
  }

  static List<ArchRule> rules() {
    return List.of(
        service(AGENT, PROCESSOR, EXTRAPOLATOR, BROKER),
        service(PROCESSOR, AGENT, EXTRAPOLATOR, BROKER),
        service(EXTRAPOLATOR, AGENT, PROCESSOR, BROKER),
        service(BROKER, AGENT, PROCESSOR, EXTRAPOLATOR),
        noClasses().that().resideInAnyPackage(SHARED).should().dependOnClassesThat()
            .resideInAnyPackage(AGENT, PROCESSOR, EXTRAPOLATOR, BROKER, CLI, BENCH)
            .as("the shared libraries (proto, safetensors, fit) use no service"),
        noClasses().that().resideOutsideOfPackage("io.alpharl.extrapolator.gpu..").should().dependOnClassesThat().resideInAPackage("jcuda..")
            .as("JCuda is used in extrapolator.gpu only"),
        noClasses().that().resideOutsideOfPackage("io.alpharl.proto.frame..").should().dependOnClassesThat()
            .resideInAnyPackage("org.apache.arrow.vector..", "org.apache.arrow.flatbuf..")
            .as("Arrow vectors and IPC are used in the frame codec (proto.frame) only"));
  }

  private static ArchRule service(String service, String... others) {
    return noClasses().that().resideInAPackage(service).should().dependOnClassesThat().resideInAnyPackage(others)
        .orShould().dependOnClassesThat().resideInAnyPackage(CLI, BENCH)
        .as(service.replace("..", "") + " uses no other service, nor the cli or benchmarks");
  }

  @Test
  void theProductKeepsItsLayers() {
    assertThat(product.size()).as("classes imported").isGreaterThan(200);
    for (ArchRule rule : rules()) {
      rule.check(product);
    }
  }

  @Test
  void aMisplacedImportBreaksTheRules() {
    JavaClasses misplaced = new ClassFileImporter().importPackages("io.alpharl.agent.misplaced");
    assertThat(misplaced.size()).isEqualTo(1);
    EvaluationResult agentRule = rules().get(0).evaluate(misplaced);
    assertThat(agentRule.hasViolation()).isTrue();
    assertThat(agentRule.getFailureReport().getDetails()).anyMatch(d -> d.contains("io.alpharl.processor.rank1.CpuRank1Backend"));
    EvaluationResult gpuRule = rules().get(5).evaluate(misplaced);
    assertThat(gpuRule.hasViolation()).isTrue();
    assertThat(gpuRule.getFailureReport().getDetails()).anyMatch(d -> d.contains("jcuda.driver.JCudaDriver"));
  }
}
