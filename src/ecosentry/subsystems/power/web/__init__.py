"""Pages of the electricity subsystem (templates in ``templates/``)."""
