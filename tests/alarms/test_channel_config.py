"""Channel settings from the environment (the section ``notify`` of the settings) and the assembly of the
configured channels."""

from __future__ import annotations

import os

import pytest

from ecosentry.alarms.channels.base import Channel
from ecosentry.alarms.channels.base import absolute_url
from ecosentry.alarms.channels.config import ChannelSettings, build_channels
from ecosentry.alarms.channels.email import EmailChannel
from ecosentry.alarms.channels.live import LiveChannel, LiveHub
from ecosentry.alarms.channels.sms import SmsChannel
from ecosentry.alarms.channels.webhook import WebhookChannel
from ecosentry.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("ECOSENTRY_NOTIFY_"):
            monkeypatch.delenv(key)


def test_defaults_build_webhook_and_live_only():
    s = ChannelSettings()
    assert s.smtp_port == 25 and s.webhook_retries == 3 and s.sms_max_length == 70
    channels = build_channels(s)
    assert sorted(channels) == ["live", "webhook"]
    assert isinstance(channels["webhook"], WebhookChannel) and isinstance(channels["live"], LiveChannel)


def test_environment_configures_every_channel(monkeypatch):
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMTP_HOST", "mail.example.gov.cn")  # the section's variables …
    monkeypatch.setenv("ECOSENTRY_NOTIFY__SMTP_PORT", "587")  # … and below, the former flat names still read
    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMTP_STARTTLS", "true")
    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMTP_PASSWORD", "pw")
    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMS_GATEWAY_URL", "https://sms.example.gov.cn/send")
    monkeypatch.setenv("ECOSENTRY_NOTIFY_SMS_TEXT_FIELD", "content")
    monkeypatch.setenv("ECOSENTRY_NOTIFY_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("ECOSENTRY_NOTIFY_LIVE_HEARTBEAT_S", "5")

    s = Settings().notify
    assert s.smtp_port == 587 and s.smtp_starttls and s.sms_text_field == "content"
    assert "pw" not in repr(s)  # secrets stay out of logs
    channels = build_channels(s)

    assert sorted(channels) == ["email", "live", "sms", "webhook"]
    assert isinstance(channels["email"], EmailChannel) and isinstance(channels["sms"], SmsChannel)
    assert channels["live"].hub.heartbeat_s == 5
    for name, ch in channels.items():
        assert isinstance(ch, Channel) and ch.name == name


def test_live_channel_uses_the_given_hub():
    hub = LiveHub()
    assert build_channels(ChannelSettings(), hub=hub)["live"].hub is hub


def test_relative_links_are_made_absolute():
    assert absolute_url("/alarms/3", "https://eco.example/") == "https://eco.example/alarms/3"
    assert absolute_url("https://x.example/a", "https://eco.example") == "https://x.example/a"
    assert absolute_url("/alarms/3", None) == "/alarms/3"
    assert absolute_url(None, "https://eco.example") is None
