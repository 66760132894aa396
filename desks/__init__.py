"""Desks: PSC 119 and consultation queues, staffed from the roster."""
