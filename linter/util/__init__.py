"""Helpers with no knowledge of SQL or PostgreSQL, used across the layers: forked workers,
signals as exceptions, a persistent map, atomic file sets, the Jinja environment, GC tuning."""
