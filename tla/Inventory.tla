------------------------------ MODULE Inventory ------------------------------
(***************************************************************************)
(* Flash-sale stock at the granularity a real service executes (design    *)
(* document, sections 1.2 "库存准确率 = 100%" and 3.2).                      *)
(*                                                                         *)
(* Each user makes one request. It either reserves one unit or is told    *)
(* sold out; a reservation is then paid (sold) or times out (the unit is  *)
(* released to stock).                                                     *)
(*                                                                         *)
(* Deduction selects how a reservation takes a unit:                       *)
(*   "atomic"          check-and-decrement in one step (a Redis Lua script *)
(*                     or UPDATE ... SET stock = stock - 1 WHERE stock>0); *)
(*   "read_then_write" read the stock into a local, decide and write       *)
(*                     seen - 1 later: the classic lost-update race.       *)
(*                                                                         *)
(* The Rust port is flashcheck-models' `inventory` module: same variables, *)
(* same actions, same distinct-state count.                                *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS Users, Stock, Deduction

ASSUME Users \in Nat /\ Stock \in Nat
ASSUME Deduction \in {"atomic", "read_then_write"}

UserIds == 1..Users
Ended == {"sold", "released", "rejected"}

VARIABLES
    available,     \* units in the store
    phase,         \* phase[u]: "idle", "reading", "reserved" or one of Ended
    seen,          \* seen[u]: the stock value user u read (read_then_write only; 0 otherwise)
    falseSoldOut   \* history: some user was told sold out while units were available

vars == <<available, phase, seen, falseSoldOut>>

Reserved == {u \in UserIds : phase[u] = "reserved"}
Sold == {u \in UserIds : phase[u] = "sold"}

Init == /\ available = Stock
        /\ phase = [u \in UserIds |-> "idle"]
        /\ seen = [u \in UserIds |-> 0]
        /\ falseSoldOut = FALSE

(* atomic: check and decrement in one step *)
Reserve(u) == /\ Deduction = "atomic"
              /\ phase[u] = "idle"
              /\ available > 0
              /\ available' = available - 1
              /\ phase' = [phase EXCEPT ![u] = "reserved"]
              /\ UNCHANGED <<seen, falseSoldOut>>

(* read_then_write, step 1: read the stock into a local *)
Read(u) == /\ Deduction = "read_then_write"
           /\ phase[u] = "idle"
           /\ seen' = [seen EXCEPT ![u] = available]
           /\ phase' = [phase EXCEPT ![u] = "reading"]
           /\ UNCHANGED <<available, falseSoldOut>>

(* read_then_write, step 2: decide on the value read, write it back minus one *)
Write(u) == /\ phase[u] = "reading"
            /\ seen[u] > 0
            /\ available' = seen[u] - 1
            /\ phase' = [phase EXCEPT ![u] = "reserved"]
            /\ seen' = [seen EXCEPT ![u] = 0]
            /\ UNCHANGED falseSoldOut

(* the user is told "sold out": atomic decides on the stock itself,
   read_then_write on the value it read *)
Reject(u) == /\ \/ Deduction = "atomic" /\ phase[u] = "idle" /\ available = 0
                \/ phase[u] = "reading" /\ seen[u] = 0
             /\ phase' = [phase EXCEPT ![u] = "rejected"]
             /\ seen' = [seen EXCEPT ![u] = 0]
             /\ falseSoldOut' = (falseSoldOut \/ available > 0)
             /\ UNCHANGED available

Pay(u) == /\ phase[u] = "reserved"
          /\ phase' = [phase EXCEPT ![u] = "sold"]
          /\ UNCHANGED <<available, seen, falseSoldOut>>

(* the reservation timed out: its unit goes back to stock *)
Timeout(u) == /\ phase[u] = "reserved"
              /\ available' = available + 1
              /\ phase' = [phase EXCEPT ![u] = "released"]
              /\ UNCHANGED <<seen, falseSoldOut>>

User(u) == Reserve(u) \/ Read(u) \/ Write(u) \/ Reject(u) \/ Pay(u) \/ Timeout(u)

(* Every request has ended: stutter, as PlusCal's translation does. *)
Terminating == /\ \A u \in UserIds : phase[u] \in Ended
               /\ UNCHANGED vars

Next == (\E u \in UserIds : User(u)) \/ Terminating

Spec == Init /\ [][Next]_vars /\ \A u \in UserIds : WF_vars(User(u))

-----------------------------------------------------------------------------
(* Properties; the Rust port defines the same names. *)

no_oversell == available >= 0 /\ Cardinality(Sold) + Cardinality(Reserved) <= Stock

conservation == available + Cardinality(Reserved) + Cardinality(Sold) = Stock

no_false_soldout == ~falseSoldOut

(* liveness: every request ends sold, released or rejected *)
settles == \A u \in UserIds : <>(phase[u] \in Ended)

(* sometimes: the whole stock can be sold *)
sold_out_reachable == available = 0 /\ Cardinality(Sold) = Stock

=============================================================================
