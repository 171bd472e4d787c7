---- MODULE Deadlocking ----
\* flashcheck spec suite: a counter that stops at 3 (a deadlock unless CHECK_DEADLOCK FALSE).
EXTENDS Naturals
VARIABLE x
Init == x = 0
Next == x < 3 /\ x' = x + 1
Spec == Init /\ [][Next]_x
TypeOK == x \in 0..3
====
