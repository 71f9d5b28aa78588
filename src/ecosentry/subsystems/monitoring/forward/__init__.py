"""Upper-level forwarding: store-and-forward of received data to a higher platform.

Issue 7 item 4. A Vietnamese provincial platform (DONRE, Sở TN&MT) passes every station file on to the
Ministry (MONRE) by FTP in the same Circular 10/2021 format (reference notes §7.2, §7.4: Envisoft
"publication to the public / MONRE level"); a Chinese platform relays HJ 212-2017 frames to an upper
platform under its own MN/PW (HJ 212-2017 §6.3, §6.6.3).

Modules
-------
settings     ``ForwardSettings``: the section ``forward`` of the settings (env ``ECOSENTRY_FORWARD__*``).
queue        targets, the queue in the database (idempotent per target), the feeder over ``raw_frames``,
             attempts and the delivery log.
vn_ftp       FTP forwarder: same file name and bytes, upload to a temporary name then rename.
hj212_relay  HJ 212 relay client: re-encode with the upper MN/PW (or pass through), wait for 9014.
runner       the asyncio loop: feed the queue, drain each target in order, back off on failure.
"""
