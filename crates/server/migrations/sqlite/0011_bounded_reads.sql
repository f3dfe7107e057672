-- Bounded work per request (issue 12): the indexes the public read
-- endpoints page and aggregate by, and each need's region as a column so
-- the gap signal groups in SQL.

-- A need's region: the last comma-separated part of its place name,
-- trimmed ("Kumasi, Ghana" -> "Ghana"), or the whole name when that part
-- is empty ("Lisbon" -> "Lisbon"). The same rule as core's `region_of`,
-- written in SQL so `GET /api/needs/gaps` can GROUP BY it. SQLite has no
-- reverse search: rtrim() with every character of the name but commas
-- strips the last part, leaving the name up to its last comma.
ALTER TABLE needs ADD COLUMN region TEXT GENERATED ALWAYS AS (
    COALESCE(
        NULLIF(trim(substr(place_name, length(rtrim(place_name, replace(place_name, ',', ''))) + 1)), ''),
        place_name
    )
) VIRTUAL;

-- `near=`: a latitude range, then the longitude from the same index.
DROP INDEX needs_by_lat;
CREATE INDEX needs_by_place ON needs (lat, lon);

-- Sums of a need's (or a provider's) claims by state, read from the index.
DROP INDEX claims_by_need;
CREATE INDEX claims_by_need ON claims (need_id, state, quantity);
DROP INDEX claims_by_provider;
CREATE INDEX claims_by_provider ON claims (provider_id, state, quantity);

-- A provider's capacity in order (the map's "first capacity", paging).
DROP INDEX capacities_by_provider;
CREATE INDEX capacities_by_provider ON capacities (provider_id, id);
DROP INDEX capacity_processes_by_process;
CREATE INDEX capacity_processes_by_process ON capacity_processes (process, capacity_id);

-- Capacity and coalitions are listed by their agent's name.
CREATE INDEX agents_by_name ON agents (name, id);
