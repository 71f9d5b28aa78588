"""The electricity subsystem's audit codes in words (:attr:`ecosentry.contracts.subsystem.Subsystem.audit_words`):
what the audit page says for the actions and objects its stores record (English msgids)."""

from ecosentry.said import N_

AUDIT_WORDS = {
    "actions": {"set": N_("Threshold set"), "learn": N_("Threshold learned")},
    "entities": {"power_threshold": N_("Meter threshold"), "power_enterprise": N_("Electricity settings of an enterprise"),
                 "power_measure": N_("Measure"), "power_device": N_("Device"), "power_meter": N_("Meter"),
                 "power_line": N_("Electric line"), "power_equipment": N_("Equipment"),
                 "power_linkage": N_("Linkage")},
}
