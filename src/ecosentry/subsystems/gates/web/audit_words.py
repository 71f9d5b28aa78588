"""The gates subsystem's audit codes in words (:attr:`ecosentry.contracts.subsystem.Subsystem.audit_words`):
what the audit page says for the actions and objects its stores record (English msgids)."""

from ecosentry.said import N_

AUDIT_WORDS = {
    "actions": {"correct": N_("Corrected"), "place": N_("Placed"), "release": N_("Released"),
                "override": N_("Overridden"), "complete": N_("Completed"), "requeue": N_("Queued again")},
    "entities": {"gate_ledger": N_("Ledger row"), "gate_hold": N_("Legal hold"), "gate_decision": N_("Gate decision"),
                 "gates_upload": N_("Upload to the upper platform"), "gate_camera": N_("Camera"),
                 "gates_ledger": N_("Ledger rows"), "gates_media": N_("Pictures"),
                 "gates_heartbeats": N_("Camera heartbeats")},
}
