-- Staff bookings start confirmed unless the clinic chooses otherwise, and
-- check-in opens a set time before the start.
ALTER TABLE booking_settings ADD COLUMN staff_bookings_confirmed INTEGER NOT NULL DEFAULT 1
    CHECK (staff_bookings_confirmed IN (0, 1));
ALTER TABLE booking_settings ADD COLUMN check_in_opens_minutes INTEGER NOT NULL DEFAULT 60
    CHECK (check_in_opens_minutes BETWEEN 0 AND 1440);
