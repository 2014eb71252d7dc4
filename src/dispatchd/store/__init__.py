"""Persistence: SQLAlchemy Core tables, repositories and migrations, portable SQLite↔PostgreSQL."""
