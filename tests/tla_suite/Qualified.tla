---- MODULE Qualified ----
\* flashcheck spec suite: a module-qualified substitution `Cap <- [QualifiedInner] SmallCap`.
EXTENDS Naturals
VARIABLE n
I == INSTANCE QualifiedInner
SmallCap == 3
Spec == I!Init /\ [][I!Next]_n
UnderCap == n <= 3
====
