---- MODULE Substitution ----
\* flashcheck spec suite: a constant bound by `<-` to an operator of the spec.
EXTENDS Naturals
CONSTANT Limit, Step
VARIABLE x
TwoStep == 2
Init == x = 0
Next == x + Step <= Limit /\ x' = x + Step
Spec == Init /\ [][Next]_x
Bounded == x <= Limit
Even == x % 2 = 0
====
