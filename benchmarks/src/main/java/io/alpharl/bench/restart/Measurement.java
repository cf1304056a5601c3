package io.alpharl.bench.restart;

/**
 * One case: {@code victim} killed with SIGKILL while {@code runs} runs were in flight, then started again.
 *
 * @param seconds         from the restart (the new JVM's launch) to the victim's first new committed output;
 *                        null when it did not come (see {@code missing})
 * @param caughtUpSeconds the extrapolator only: from the restart to its "caught up with its inputs" line; null otherwise
 * @param killedAtStep    the last step the victim had published for the slowest run when it was killed
 * @param inputAtStep     the same for the victim's input (the agents' commits for the processor, the fits for the
 *                        extrapolator): a gap to {@code killedAtStep} is a backlog it had before the kill
 * @param firstOutput     what the first new output was, for the reader
 * @param loadAverage     the machine's 1-minute load average when the victim was killed; null where unknown
 * @param missing         why {@code seconds} or {@code caughtUpSeconds} is null; null when nothing is missing
 */
record Measurement(int runs, Victim victim, Double seconds, Double caughtUpSeconds, long killedAtStep, long inputAtStep, String firstOutput,
    Double loadAverage, String missing) {}
