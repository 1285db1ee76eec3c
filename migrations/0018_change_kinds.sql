-- What sort of change a row is, where its operation alone does not say
-- (an appointment's `cancelled` or `status_changed`): live events name it.
ALTER TABLE changes ADD COLUMN kind TEXT;
