"""The dispatcher's world in plain Python: orders, offers, the escalation ladder, assignment.

Nothing here performs I/O or reads the clock; every state change takes ``now`` and records the
events it caused, so the same rules run identically in tests, the engine and the API.
"""
