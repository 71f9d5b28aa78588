"""Pages of the park subsystem (templates in ``templates/``): the parks in scope, one park's map with its live
levels and warnings, and an incident (zones, receptors affected, ranked sources, timeline, PDF report)."""
