"""Accounts, roles, scopes, sessions, API keys and rate limits: who may see and change what."""
