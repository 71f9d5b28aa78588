"""The O&M subsystem's audit codes in words (:attr:`ecosentry.contracts.subsystem.Subsystem.audit_words`): what
the audit page says for a work order's steps (``rules.workorders.ACTIONS``) and its photos (English msgids)."""

from ecosentry.said import N_

AUDIT_WORDS = {
    "actions": {"accept": N_("Accepted"), "arrive": N_("Marked on site"), "finish": N_("Finished"),
                "approve": N_("Approved"), "reject": N_("Rejected"), "reopen": N_("Reopened"),
                "cancel": N_("Cancelled"), "photo": N_("Photo added")},
    "entities": {"om_work_order": N_("Work order")},
}
