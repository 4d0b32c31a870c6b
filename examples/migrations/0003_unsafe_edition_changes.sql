-- UNSAFE: every statement below locks an existing, busy table.

-- Blocks every write to enriched_editions while the index is built.
CREATE INDEX enriched_editions_isbn13_idx ON enriched_editions (isbn13);

-- Rewrites the table: integer -> bigint is not binary-coercible.
ALTER TABLE enriched_editions ALTER COLUMN page_count TYPE bigint;

-- Scans the whole table under an AccessExclusiveLock.
ALTER TABLE enriched_editions ALTER COLUMN isbn13 SET NOT NULL;

-- Scans external_id_mappings and blocks writes to both tables.
ALTER TABLE external_id_mappings
    ADD CONSTRAINT external_id_mappings_edition_fk
    FOREIGN KEY (edition_id) REFERENCES enriched_editions (id);
