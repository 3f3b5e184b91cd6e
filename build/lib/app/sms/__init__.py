"""Texting: the providers that send SMS, the outbox sender, and the sender's background thread."""
