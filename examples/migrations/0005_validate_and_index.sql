-- SAFE: runs outside a transaction (CREATE INDEX CONCURRENTLY requires it).
SET lock_timeout = '2s';

-- Validation takes only a ShareUpdateExclusiveLock: reads and writes go on.
ALTER TABLE external_id_mappings VALIDATE CONSTRAINT external_id_mappings_source_fk;

-- Built without blocking writes.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS external_id_mappings_source_external_id_key
    ON external_id_mappings (source, external_id);
