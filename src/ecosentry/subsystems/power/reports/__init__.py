"""Reports of the electricity subsystem (XLSX and PDF)."""
