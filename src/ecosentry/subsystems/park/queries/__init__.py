"""Read models of the park subsystem, used by its pages and its incident report: ``scope`` (which parks, stations
and incidents a principal sees), ``parkmap`` (the map: boundary, sources, stations with their live levels and
warning state, receptors, the latest wind), ``warnings`` (the warning events and one incident)."""
