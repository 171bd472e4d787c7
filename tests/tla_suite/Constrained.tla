---- MODULE Constrained ----
\* flashcheck spec suite: an unbounded pair of counters cut by a CONSTRAINT.
EXTENDS Naturals
VARIABLES a, b
Init == a = 0 /\ b = 0
Next == \/ a' = a + 1 /\ UNCHANGED b
        \/ b' = b + 1 /\ UNCHANGED a
Spec == Init /\ [][Next]_<<a, b>>
Small == a + b <= 6
NotBoth == ~(a = 3 /\ b = 3)
====
