"""SQL text as statements and parse trees: splitting a migration into statements (parsing),
typed helpers over pglast's tree (pgast), the SQL a DO block runs (plpgsql), and statements
newer than pglast's grammar (newer_syntax). Imports nothing else of sqlsafe but util."""
