package io.alpharl.fit.predict;

/** A trajectory type with the number of factors it uses (1 for the rank-1 types). */
record TrajectoryKey(TrajectoryType type, int factors) {}
