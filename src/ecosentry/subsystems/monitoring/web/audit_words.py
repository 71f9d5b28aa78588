"""The monitoring subsystem's audit codes in words (:attr:`ecosentry.contracts.subsystem.Subsystem.audit_words`):
what the audit page says for the actions and objects its stores record (English msgids)."""

from ecosentry.said import N_

AUDIT_WORDS = {
    "actions": {"vn_map_parameter": N_("Parameter mapped"), "vn_unmap_parameter": N_("Parameter mapping removed"),
                "resend": N_("Sent again")},
    "entities": {"vn_register_facility": N_("Facility in the connection register"),
                 "vn_register_station": N_("Station in the connection register"),
                 "forward_target": N_("Forwarding target")},
}
