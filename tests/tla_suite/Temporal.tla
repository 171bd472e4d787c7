---- MODULE Temporal ----
\* flashcheck spec suite: several temporal properties in one cfg, one of them violated.
EXTENDS Naturals
VARIABLES x, phase
Init == x = 0 /\ phase = "run"
Inc == phase = "run" /\ x < 3 /\ x' = x + 1 /\ UNCHANGED phase
Stop == phase = "run" /\ x = 3 /\ phase' = "done" /\ UNCHANGED x
Reset == phase = "done" /\ x' = 0 /\ phase' = "run"
Next == Inc \/ Stop \/ Reset
Spec == Init /\ [][Next]_<<x, phase>> /\ WF_<<x, phase>>(Next)
TypeOK == x \in 0..3 /\ phase \in {"run", "done"}
ReachesThree == <>(x = 3)
KeepsRunning == []<>(phase = "run")
StaysDone == <>[](phase = "done")
====
