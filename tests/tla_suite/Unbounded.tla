---- MODULE Unbounded ----
\* flashcheck spec suite: a counter with no bound, stopped only by --max-states or --timeout.
EXTENDS Naturals
VARIABLE x
Init == x = 0
Next == x' = x + 1
Spec == Init /\ [][Next]_x
NonNegative == x >= 0
====
