CREATE TABLE external_id_mappings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    edition_id bigint NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL
);

-- A new, empty table: indexing it without CONCURRENTLY blocks nobody.
CREATE INDEX external_id_mappings_edition_id_idx ON external_id_mappings (edition_id);
