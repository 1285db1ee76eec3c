-- Offered start times sit on a clinic-wide grid (every 15 minutes by
-- default), not one whole visit apart; 0 keeps them a whole visit apart.
ALTER TABLE booking_settings ADD COLUMN slot_interval_minutes INTEGER NOT NULL DEFAULT 15
    CHECK (slot_interval_minutes = 0 OR slot_interval_minutes BETWEEN 5 AND 240);
