"""The live rules engine: the linkage, data and order rules over the recent readings of the enterprises that
received readings, reconciled with ``power_findings`` and raising/clearing one alarm per open finding."""
