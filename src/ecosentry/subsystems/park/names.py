"""Names the park pages and reports show for codes (msgids, translated where they are shown)."""

from ecosentry.said import N_

TIER_NAMES = {"boundary": N_("Enterprise boundary"), "edge": N_("Park edge"), "receptor": N_("Sensitive receptor"),
              "met": N_("Met station")}
KIND_NAMES = {"school": N_("School"), "village": N_("Village"), "hospital": N_("Hospital"),
              "residential": N_("Residential area"), "other": N_("Other")}
TRANSITION_NAMES = {"raised": N_("raised"), "escalated": N_("escalated"), "de-escalated": N_("de-escalated"),
                    "cleared": N_("cleared")}
ZONE_NAMES = {"AEGL3": N_("AEGL-3 (red): life-threatening"), "AEGL2": N_("AEGL-2 (orange): irreversible effects"),
              "AEGL1": N_("AEGL-1 (yellow): discomfort")}
