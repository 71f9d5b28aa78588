"""The power devices' ways in (issue 15 item 2): the HJ 212 gateway of the power loggers (:mod:`.hj212`, codes
mapped by :mod:`.hj212_map`), the MQTT subscriber (:mod:`.mqtt`, messages read by :mod:`.mqtt_message`) and the
broker's password file and ACL written from ``power_devices`` (:mod:`.mosquitto_auth`). Each turns what it
received into ``power-readings`` envelopes on the service's spool; the power sink stores them."""
