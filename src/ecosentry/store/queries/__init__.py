"""Read models: queries that several shells (API, pages, reports, CLI) share, so they show the same figures."""
