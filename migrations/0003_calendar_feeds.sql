-- Calendar feeds. A feed token is derived from the installation's secret
-- key, the clinician and this generation; rotating bumps the generation so
-- the old link stops working. No token is stored.
ALTER TABLE clinicians ADD COLUMN calendar_generation INTEGER NOT NULL DEFAULT 0;

-- Whether feeds show patients' family names (off: given name and initial).
ALTER TABLE booking_settings ADD COLUMN calendar_show_surnames INTEGER NOT NULL DEFAULT 0
    CHECK (calendar_show_surnames IN (0, 1));
