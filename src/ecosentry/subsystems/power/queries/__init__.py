"""Read models of the electricity subsystem (one module per subject), used by pages, routes and reports."""
