"""The PostgreSQL facts: lock modes and their conflicts (locks), what each statement locks,
rewrites and scans per target version (effects), and the schema model those facts are read
against (schema: which tables exist, are new or partitioned, their columns, constraints and
indexes). Rules, explain, trace --compare and the docs all read these."""
