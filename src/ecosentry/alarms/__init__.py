"""Alarms: one active alarm per (originator, type), a lifecycle, routing by region tree, notifications."""
