"""Alerts: outbound webhooks and email, so someone notices when a conversation waits.

Transports only deliver. The dispatcher tails the event log from a cursor kept in the
database, turns each event into delivery rows (a durable outbox) and sends those with retries.
"""
