-- SAFE: the same changes, done without blocking production.
SET lock_timeout = '2s';
SET statement_timeout = '5s';

-- varchar(200) -> text is binary-coercible: no rewrite.
ALTER TABLE enriched_works ALTER COLUMN subtitle TYPE text;

-- A constant default is stored in the catalog (PostgreSQL 11+): no rewrite.
ALTER TABLE enriched_works ADD COLUMN language text DEFAULT 'und';

-- NOT VALID: no scan now; new rows are checked.
ALTER TABLE external_id_mappings
    ADD CONSTRAINT external_id_mappings_source_fk
    FOREIGN KEY (edition_id) REFERENCES enriched_editions (id) NOT VALID;
