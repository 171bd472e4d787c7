---- MODULE QualifiedInner ----
\* flashcheck spec suite: instantiated by Qualified; its Cap is overridden from the cfg.
EXTENDS Naturals
VARIABLE n
Cap == 100
Init == n = 0
Next == n < Cap /\ n' = n + 1
====
