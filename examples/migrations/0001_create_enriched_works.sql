-- The catalogue of works, enriched from external sources.
-- sqlsafe: ignore prefer-text -- subtitle stays varchar(200) until 0004 widens it
CREATE TABLE enriched_works (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    subtitle varchar(200),
    first_published date,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- sqlsafe: ignore prefer-bigint, prefer-text -- kept narrow to show 0003's unsafe changes
CREATE TABLE enriched_editions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    work_id bigint NOT NULL REFERENCES enriched_works (id),
    isbn13 varchar(13),
    publisher text,
    page_count integer
);

-- Same file as the CREATE TABLE: the table is new and empty, so a plain index is fine.
CREATE INDEX enriched_editions_work_id_idx ON enriched_editions (work_id);
