---- MODULE ActionConstrained ----
\* flashcheck spec suite: an ACTION_CONSTRAINT forbids two increments of the same counter in
\* a row (TLC only: tla-checker would ignore it).
EXTENDS Naturals
VARIABLES a, b, last
Init == a = 0 /\ b = 0 /\ last = "none"
IncA == a < 3 /\ a' = a + 1 /\ last' = "a" /\ UNCHANGED b
IncB == b < 3 /\ b' = b + 1 /\ last' = "b" /\ UNCHANGED a
Next == IncA \/ IncB
Spec == Init /\ [][Next]_<<a, b, last>>
Alternate == last' /= last
TypeOK == a \in 0..3 /\ b \in 0..3
====
