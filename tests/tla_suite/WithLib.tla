---- MODULE WithLib ----
\* flashcheck spec suite: EXTENDS a module that lives in tests/tla_suite/lib (pass --lib).
EXTENDS Naturals, SuiteLib
VARIABLE level
Init == level = 0
Next == \/ level' = Clamp(level + 2, 0, 5)
        \/ level' = Clamp(level - 1, 0, 5)
Spec == Init /\ [][Next]_level
InRange == level \in 0..5
====
