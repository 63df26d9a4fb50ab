"""Persistence: the engine factory, ORM rows, repositories and Alembic migrations."""
