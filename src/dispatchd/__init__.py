"""dispatchd: gets every installation job offered, accepted, done and proven.

The package is layered as DESIGN.md draws it: a pure ``domain``, a ``service`` layer that runs
one command per transaction, ``store`` adapters for SQLite and PostgreSQL, the ``engine`` that
fires deadlines and relays messages, and the ``api`` that speaks the HTTP contract.
"""

__version__ = "0.1.0"
