# Sourced by the bench launchers (not run alone): sets `vector` to the JVM option that adds the
# JDK's incubating vector module where the runtime has it, as ./alpharl does. The processor's factor
# solver then runs its vector kernel (else the scalar one); given to a runtime without the module,
# java would not start. Use it as ${vector[@]+"${vector[@]}"} (bash 3.2 treats an empty array as unset).
vector=()
if java --list-modules 2>/dev/null | grep -q '^jdk\.incubator\.vector@'; then
  vector=(--add-modules=jdk.incubator.vector)
fi
