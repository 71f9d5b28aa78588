"""The O&M pages."""
