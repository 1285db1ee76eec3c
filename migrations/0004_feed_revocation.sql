-- A calendar feed shows patients' names, so it dies with the access of the
-- person it belongs to: deactivating the clinician, or the staff account
-- linked to them, bumps the feed's generation. The old link never works
-- again, not even after reactivation; a new one is issued by rotating.
CREATE TRIGGER clinician_deactivated_revokes_feed
AFTER UPDATE OF active ON clinicians
WHEN OLD.active = 1 AND NEW.active = 0
BEGIN
    UPDATE clinicians SET calendar_generation = calendar_generation + 1 WHERE id = NEW.id;
END;

CREATE TRIGGER staff_deactivated_revokes_feed
AFTER UPDATE OF active ON staff
WHEN OLD.active = 1 AND NEW.active = 0
BEGIN
    UPDATE clinicians SET calendar_generation = calendar_generation + 1 WHERE staff_id = NEW.id;
END;
