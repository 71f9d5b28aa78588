"""The bottom layer: what every other part of ecosentry agrees on, importing nothing of ecosentry.

- :mod:`.envelope`: what a gateway received and decoded, one shape for every record kind;
- :mod:`.catalogue`: codes of rules, detectors and alarm types, with severity and explanation;
- :mod:`.subsystem`: what a subsystem contributes to the core (tables, sinks, stages, routes, pages, commands ...);
- :mod:`.sink`: how the ingest worker hands a record kind to the subsystem that stores it.
"""
