-- SAFE: validation takes only a ShareUpdateExclusiveLock; reads and writes go on.
ALTER TABLE external_id_mappings VALIDATE CONSTRAINT external_id_mappings_source_fk;

-- Built without blocking writes (this file runs outside a transaction).
CREATE INDEX CONCURRENTLY IF NOT EXISTS external_id_mappings_edition_id_idx
    ON external_id_mappings (edition_id);
