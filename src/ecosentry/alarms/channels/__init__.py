"""Notification channels (e-mail, webhook, SMS, live push) behind one contract, :mod:`.base`."""
