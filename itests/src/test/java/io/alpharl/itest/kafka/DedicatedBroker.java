package io.alpharl.itest.kafka;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link TestBroker} parameter: a broker of this test's own, started for it and stopped after
 * it, for a test whose assertions cover everything a process sees (metrics counters) and so must
 * not see other tests' records. Costs a broker start-up (about 2 s embedded).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface DedicatedBroker {}
