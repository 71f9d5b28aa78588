"""The O&M sink of HJ 212 instrument frames (record kind ``hj212-instrument``)."""
