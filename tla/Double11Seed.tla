---------------------------- MODULE Double11Seed ----------------------------
(***************************************************************************)
(* The inventory algorithm of the design document, section 3.2 (案例13.9), *)
(* made valid PlusCal with as few changes as possible:                     *)
(*   - `process (User = 1..100000)` declares ONE process whose id is the   *)
(*     set 1..100000; the intent is one process per user: `\in 1..Users`.  *)
(*   - the seed mixes C-syntax braces with P-syntax `if ... then ... end   *)
(*     if`; written here in C-syntax throughout.                           *)
(*   - a multiprocess algorithm needs labels: `Enter` and `Buy` split the  *)
(*     body where the seed's `await` forces a step boundary.               *)
(*   - the literals 100000 and 10000 are the constants Users and Stock.    *)
(*   - `fair process`: the seed states no fairness, and without it every   *)
(*     liveness property fails by stuttering; weak fairness per user is    *)
(*     the most charitable reading.                                        *)
(* The three properties are the seed's own, unchanged but for Stock and    *)
(* Users.                                                                  *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Users, Stock

(* --algorithm Double11 {
  variables
    orders = {},
    inventory = Stock,
    failures = 0,
    processing = {};

  macro ProcessOrder(o) {
    if (inventory > 0) {
      inventory := inventory - 1;
      orders := orders \cup {o};
      processing := processing \ {o};
    } else {
      failures := failures + 1;
      processing := processing \ {o};
    }
  }

  fair process (User \in 1..Users)
    variable order;
  {
    Enter:
      order := [id |-> self, status |-> "pending"];
      processing := processing \cup {order};
    Buy:
      await inventory > 0;
      ProcessOrder(order);
  }
} *)
\* BEGIN TRANSLATION (chksum(pcal) = "d9d84c0" /\ chksum(tla) = "4e880799")
CONSTANT defaultInitValue
VARIABLES pc, orders, inventory, failures, processing, order

vars == << pc, orders, inventory, failures, processing, order >>

ProcSet == (1..Users)

Init == (* Global variables *)
        /\ orders = {}
        /\ inventory = Stock
        /\ failures = 0
        /\ processing = {}
        (* Process User *)
        /\ order = [self \in 1..Users |-> defaultInitValue]
        /\ pc = [self \in ProcSet |-> "Enter"]

Enter(self) == /\ pc[self] = "Enter"
               /\ order' = [order EXCEPT ![self] = [id |-> self, status |-> "pending"]]
               /\ processing' = (processing \cup {order'[self]})
               /\ pc' = [pc EXCEPT ![self] = "Buy"]
               /\ UNCHANGED << orders, inventory, failures >>

Buy(self) == /\ pc[self] = "Buy"
             /\ inventory > 0
             /\ IF inventory > 0
                   THEN /\ inventory' = inventory - 1
                        /\ orders' = (orders \cup {order[self]})
                        /\ processing' = processing \ {order[self]}
                        /\ UNCHANGED failures
                   ELSE /\ failures' = failures + 1
                        /\ processing' = processing \ {order[self]}
                        /\ UNCHANGED << orders, inventory >>
             /\ pc' = [pc EXCEPT ![self] = "Done"]
             /\ order' = order

User(self) == Enter(self) \/ Buy(self)

(* Allow infinite stuttering to prevent deadlock on termination. *)
Terminating == /\ \A self \in ProcSet: pc[self] = "Done"
               /\ UNCHANGED vars

Next == (\E self \in 1..Users: User(self))
           \/ Terminating

Spec == /\ Init /\ [][Next]_vars
        /\ \A self \in 1..Users : WF_vars(User(self))

Termination == <>(\A self \in ProcSet: pc[self] = "Done")

\* END TRANSLATION 

(* Safety: stock never oversold. *)
SafetyInvariant == inventory >= 0 /\ Cardinality(orders) + inventory = Stock

(* Liveness: every order is eventually completed or failed. *)
LivenessProperty == <>(\A o \in orders: o.status = "completed" \/ o.status = "failed")

(* Fairness: every user eventually gets an order. *)
FairnessProperty == \A u \in 1..Users: <>(\E o \in orders: o.id = u)

=============================================================================
