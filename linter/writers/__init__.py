"""Writing migrations: safe patterns as ordered steps (scaffold), expand/migrate/contract
plans (plan), mechanical rewrites (fixer, fix_order), and what they share: SQL safe to paste
(scaffold_sql), each runner's file names and markers (scaffold_layouts), what the history
already holds (scaffold_history). Alembic revisions and Django migrations are written by
python_files, from what python_history reads of their histories."""
