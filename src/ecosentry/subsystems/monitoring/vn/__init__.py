"""Vietnamese station files (Circular 10/2021/TT-BTNMT Art. 39) after the spool, one room per job.

``mapping`` (parameter names and units → factors), ``timeliness`` (late, back-fill, too old, future),
``judge`` (one file: station, timeliness, duplicates and conflicts, parsing, readings), ``outcome`` (its
receipt and file-log row), ``receipts`` (filing the file with its receipt), ``sink`` (the ``vn-file`` sink:
one transaction per batch with the observation writer), ``missing`` (missing files → ``ALM-DATA-MISSING``).
The gateways (:mod:`ecosentry.gateways.ftp`, :mod:`ecosentry.gateways.folder`) only receive and spool.
"""
