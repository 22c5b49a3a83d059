"""Alerts: rules matched against new articles, the outbox they are written to, messages, and their delivery through Apprise."""
