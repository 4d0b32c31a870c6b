"""Talking to PostgreSQL: the embedded server and connections (pgserver, trace_db, redact,
leftovers), the protections of a trace (trace_guard, server_guard), running migrations and
observing them (trace, trace_observe, trace_rows, roundtrip), and read-only checks of a live
database (doctor, stats)."""
