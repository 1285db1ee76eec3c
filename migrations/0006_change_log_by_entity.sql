-- The change log by entity: what lists of one kind of record ask to know
-- whether a remembered total or order is still good.
CREATE INDEX changes_by_entity ON changes (entity, seq);
