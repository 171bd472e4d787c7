-------------------------------- MODULE Saga --------------------------------
(***************************************************************************)
(* The create-order saga orchestrator as it should be (design document,   *)
(* section 2.1). The step list comes from the saga YAML; flashcheck passes *)
(* only its length NSteps and where the domain steps are: InventoryStep    *)
(* (compensated by cancel_inventory_reservation) and PaymentStep           *)
(* (compensated by refund_payment), 0 when the saga has no such step.      *)
(*                                                                         *)
(* Steps run in order and each may commit or fail (F > 0; the first       *)
(* failure ends the forward phase, so every F >= 1 is the same). The       *)
(* committed steps are then compensated in reverse commit order; a         *)
(* compensation may fail transiently and is retried, at most R failed     *)
(* attempts each, then it succeeds (compensations are idempotent). The     *)
(* orchestrator may crash at most C times; pc, effect and history are its  *)
(* durable log, so Recover resumes where the log says.                     *)
(*                                                                         *)
(* The Rust port is flashcheck-models' `saga` module: same variables,      *)
(* same actions, same distinct-state count.                                *)
(***************************************************************************)
EXTENDS Naturals, Sequences

CONSTANTS NSteps, F, R, C, InventoryStep, PaymentStep

ASSUME NSteps \in Nat \ {0} /\ F \in Nat /\ R \in Nat /\ C \in Nat
ASSUME InventoryStep \in 0..NSteps /\ PaymentStep \in 0..NSteps

Steps == 1..NSteps

VARIABLES
    pc,        \* "forward", "compensating", "done" or "aborted" (durable)
    up,        \* the orchestrator process is running
    effect,    \* effect[i]: "none", "committed" or "compensated" at step i's service
    history,   \* commits, failures and completed compensations, in order
    attempts,  \* failed attempts of the compensation in progress
    crashes    \* crashes so far

vars == <<pc, up, effect, history, attempts, crashes>>

Ev(op, i) == [op |-> op, step |-> i]

NoneCommitted == \A j \in Steps : effect[j] /= "committed"
AllCommitted == \A j \in Steps : effect[j] = "committed"

(* one after the last commit *)
NextStep == Len(SelectSeq(history, LAMBDA e : e.op = "commit")) + 1

(* the highest step still committed: reverse commit order *)
ToUndo == CHOOSE j \in Steps : effect[j] = "committed"
                               /\ \A m \in Steps : m > j => effect[m] /= "committed"

Init == /\ pc = "forward"
        /\ up = TRUE
        /\ effect = [i \in Steps |-> "none"]
        /\ history = <<>>
        /\ attempts = 0
        /\ crashes = 0

Execute(i) == /\ up
              /\ pc = "forward"
              /\ i = NextStep
              /\ effect' = [effect EXCEPT ![i] = "committed"]
              /\ history' = Append(history, Ev("commit", i))
              /\ pc' = IF i = NSteps THEN "done" ELSE "forward"
              /\ UNCHANGED <<up, attempts, crashes>>

Fail(i) == /\ up
           /\ pc = "forward"
           /\ F > 0
           /\ i = NextStep
           /\ history' = Append(history, Ev("fail", i))
           /\ pc' = IF NoneCommitted THEN "aborted" ELSE "compensating"
           /\ UNCHANGED <<up, effect, attempts, crashes>>

Compensate(i) == /\ up
                 /\ pc = "compensating"
                 /\ i = ToUndo
                 /\ effect' = [effect EXCEPT ![i] = "compensated"]
                 /\ history' = Append(history, Ev("undo", i))
                 /\ attempts' = 0
                 /\ pc' = IF \A j \in Steps : effect'[j] /= "committed"
                             THEN "aborted" ELSE "compensating"
                 /\ UNCHANGED <<up, crashes>>

(* a transient failure: the compensation is retried *)
CompensationFails(i) == /\ up
                        /\ pc = "compensating"
                        /\ i = ToUndo
                        /\ attempts < R
                        /\ attempts' = attempts + 1
                        /\ UNCHANGED <<pc, up, effect, history, crashes>>

Crash == /\ up
         /\ pc \in {"forward", "compensating"}
         /\ crashes < C
         /\ up' = FALSE
         /\ crashes' = crashes + 1
         /\ UNCHANGED <<pc, effect, history, attempts>>

(* restart: every variable but up is the durable log, read back as it is *)
Recover == /\ ~up
           /\ up' = TRUE
           /\ UNCHANGED <<pc, effect, history, attempts, crashes>>

Orchestrator == \/ \E i \in Steps : Execute(i) \/ Fail(i) \/ Compensate(i)
                                    \/ CompensationFails(i)
                \/ Recover

Ended == up /\ pc \in {"done", "aborted"}

(* The saga has ended: stutter, as PlusCal's translation does. *)
Terminating == Ended /\ UNCHANGED vars

Next == Orchestrator \/ Crash \/ Terminating

Spec == Init /\ [][Next]_vars /\ WF_vars(Orchestrator)

-----------------------------------------------------------------------------
(* Properties; the Rust port defines the same names. *)

IsCommit(k, i) == history[k] = Ev("commit", i)

CommitIndex(i) ==
    IF \E k \in 1..Len(history) : IsCommit(k, i)
    THEN CHOOSE k \in 1..Len(history) :
             IsCommit(k, i) /\ \A m \in 1..(k - 1) : ~IsCommit(m, i)
    ELSE 0

compensate_only_committed ==
    \A k \in 1..Len(history) :
        history[k].op = "undo" => \E j \in 1..(k - 1) : IsCommit(j, history[k].step)

reverse_order ==
    \A p, q \in 1..Len(history) :
        (/\ p < q
         /\ history[p].op = "undo" /\ history[q].op = "undo"
         /\ history[p].step /= history[q].step
         /\ CommitIndex(history[p].step) > 0 /\ CommitIndex(history[q].step) > 0)
        => CommitIndex(history[q].step) < CommitIndex(history[p].step)

no_forward_after_abort ==
    \A p, q \in 1..Len(history) :
        (p < q /\ history[p].op = "undo") => history[q].op = "undo"

no_refund_without_payment ==
    PaymentStep /= 0 =>
        \A k \in 1..Len(history) :
            history[k] = Ev("undo", PaymentStep) => \E j \in 1..(k - 1) : IsCommit(j, PaymentStep)

(* a state property: once the saga has ended aborted, no reservation is held *)
reservation_released_on_abort ==
    (InventoryStep /= 0 /\ pc = "aborted") => effect[InventoryStep] /= "committed"

NoRerun ==
    \A p, q \in 1..Len(history) :
        (p < q /\ history[p].op = "commit")
        => ~(history[q].op \in {"commit", "fail"} /\ history[q].step = history[p].step)

recovery_idempotent ==
    /\ NoRerun
    /\ ~(crashes > 0 /\ pc = "aborted" /\ ~NoneCommitted)

(* liveness, under weak fairness of the orchestrator *)
atomicity == <>(Ended /\ (AllCommitted \/ NoneCommitted))

=============================================================================
