"""The park stations' network edges: the HJ 212 gateway on a port of its own and the MQTT subscriber, both
putting ``park-readings`` envelopes on the service's spool (the sink maps the codes)."""
