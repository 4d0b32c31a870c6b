CREATE TABLE external_id_mappings (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    edition_id bigint NOT NULL,
    source text NOT NULL,
    external_id text NOT NULL
);
