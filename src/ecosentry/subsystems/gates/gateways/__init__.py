"""The gates subsystem's network edge: the HTTP push of plate-recognition events (``push``), with the
in-memory directory of devices, register, grades and alerts it decides with (``directory``)."""
