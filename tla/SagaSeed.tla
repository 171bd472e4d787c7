------------------------------ MODULE SagaSeed ------------------------------
(***************************************************************************)
(* The seed's Python SagaOrchestrator (design document, section 2.1)      *)
(* exactly as written. The step list comes from the saga YAML; flashcheck  *)
(* passes its length NSteps and where the domain steps are (InventoryStep, *)
(* PaymentStep; 0 when absent).                                            *)
(*                                                                         *)
(* Seed behaviours modelled:                                               *)
(*   - executed_steps.append((step, result)) comes before the success     *)
(*     check, so a step returning a failed result (StepFails) is in the   *)
(*     list and gets compensated;                                          *)
(*   - a step that raises (StepRaises) is not appended: the except path   *)
(*     compensates only the steps appended before it;                     *)
(*   - compensate() walks reversed(executed_steps) and ignores the result *)
(*     of execute_compensation: a failed compensation (CompensationFails, *)
(*     possible when R > 0) is not retried and the walk goes on;          *)
(*   - no durable log: a crash (at most C) restarts the process with no    *)
(*     memory of the saga, which is then "lost".                          *)
(* Not modelled: a compensation that raises (the except path would run    *)
(* compensate() again); the seed does not say that it raises.             *)
(* F > 0 lets a step fail; the first failure ends the forward phase.      *)
(*                                                                         *)
(* The Rust port is flashcheck-models' `saga_seed` module.                 *)
(***************************************************************************)
EXTENDS Naturals, Sequences

CONSTANTS NSteps, F, R, C, InventoryStep, PaymentStep

ASSUME NSteps \in Nat \ {0} /\ F \in Nat /\ R \in Nat /\ C \in Nat
ASSUME InventoryStep \in 0..NSteps /\ PaymentStep \in 0..NSteps

Steps == 1..NSteps

VARIABLES
    pc,        \* "forward", "compensating", "done", "aborted" or "lost"
    executed,  \* executed_steps, in memory
    cursor,    \* entries of reversed(executed_steps) compensate() has handled
    effect,    \* effect[i]: "none", "committed" or "compensated" at step i's service
    history,   \* commits, failures and completed compensations, in order
    crashes    \* crashes so far

vars == <<pc, executed, cursor, effect, history, crashes>>

Ev(op, i) == [op |-> op, step |-> i]

NoneCommitted == \A j \in Steps : effect[j] /= "committed"
AllCommitted == \A j \in Steps : effect[j] = "committed"

(* reversed(executed_steps)[cursor] *)
ToUndo == executed[Len(executed) - cursor]

Init == /\ pc = "forward"
        /\ executed = <<>>
        /\ cursor = 0
        /\ effect = [i \in Steps |-> "none"]
        /\ history = <<>>
        /\ crashes = 0

(* result = execute_step(step); executed_steps.append(...); result.success *)
Execute(i) == /\ pc = "forward"
              /\ i = Len(executed) + 1
              /\ executed' = Append(executed, i)
              /\ effect' = [effect EXCEPT ![i] = "committed"]
              /\ history' = Append(history, Ev("commit", i))
              /\ pc' = IF i = NSteps THEN "done" ELSE "forward"
              /\ UNCHANGED <<cursor, crashes>>

(* not result.success: already appended, so compensate(executed_steps) includes it *)
StepFails(i) == /\ pc = "forward"
                /\ F > 0
                /\ i = Len(executed) + 1
                /\ executed' = Append(executed, i)
                /\ history' = Append(history, Ev("fail", i))
                /\ pc' = "compensating"
                /\ UNCHANGED <<cursor, effect, crashes>>

(* execute_step raises: the except path compensates what was appended before *)
StepRaises(i) == /\ pc = "forward"
                 /\ F > 0
                 /\ i = Len(executed) + 1
                 /\ history' = Append(history, Ev("fail", i))
                 /\ pc' = IF executed = <<>> THEN "aborted" ELSE "compensating"
                 /\ UNCHANGED <<executed, cursor, effect, crashes>>

Compensate(i) == /\ pc = "compensating"
                 /\ i = ToUndo
                 /\ effect' = [effect EXCEPT ![i] = "compensated"]
                 /\ history' = Append(history, Ev("undo", i))
                 /\ cursor' = cursor + 1
                 /\ pc' = IF cursor + 1 = Len(executed) THEN "aborted" ELSE "compensating"
                 /\ UNCHANGED <<executed, crashes>>

(* the result of execute_compensation is ignored: no retry *)
CompensationFails(i) == /\ pc = "compensating"
                        /\ R > 0
                        /\ i = ToUndo
                        /\ cursor' = cursor + 1
                        /\ pc' = IF cursor + 1 = Len(executed) THEN "aborted" ELSE "compensating"
                        /\ UNCHANGED <<executed, effect, history, crashes>>

(* no durable log: the restarted process knows nothing of the saga *)
Crash == /\ pc \in {"forward", "compensating"}
         /\ crashes < C
         /\ pc' = "lost"
         /\ executed' = <<>>
         /\ cursor' = 0
         /\ crashes' = crashes + 1
         /\ UNCHANGED <<effect, history>>

Orchestrator == \E i \in Steps : \/ Execute(i) \/ StepFails(i) \/ StepRaises(i)
                                 \/ Compensate(i) \/ CompensationFails(i)

Ended == pc \in {"done", "aborted", "lost"}

Terminating == Ended /\ UNCHANGED vars

Next == Orchestrator \/ Crash \/ Terminating

Spec == Init /\ [][Next]_vars /\ WF_vars(Orchestrator)

-----------------------------------------------------------------------------
(* Properties: the same definitions as tla/Saga.tla; "lost" ends a saga    *)
(* unfinished, like "aborted".                                             *)

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

reservation_released_on_abort ==
    (InventoryStep /= 0 /\ pc \in {"aborted", "lost"}) => effect[InventoryStep] /= "committed"

NoRerun ==
    \A p, q \in 1..Len(history) :
        (p < q /\ history[p].op = "commit")
        => ~(history[q].op \in {"commit", "fail"} /\ history[q].step = history[p].step)

recovery_idempotent ==
    /\ NoRerun
    /\ ~(crashes > 0 /\ pc \in {"aborted", "lost"} /\ ~NoneCommitted)

atomicity == <>(Ended /\ (AllCommitted \/ NoneCommitted))

=============================================================================
