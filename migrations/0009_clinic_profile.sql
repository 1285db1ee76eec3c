-- The clinic's own details (one row): its name and logo on every page and
-- printout, its address and tax number for invoices, its currency and the
-- region phone numbers without a country code are read in.
CREATE TABLE clinic_profile (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL DEFAULT '',
    address TEXT,
    phone TEXT,
    email TEXT,
    tax_number TEXT,
    currency TEXT NOT NULL DEFAULT 'GBP' CHECK (length(currency) = 3),
    -- NULL until chosen: the configured phone_region applies.
    phone_region TEXT CHECK (phone_region IS NULL OR length(phone_region) = 2),
    logo BLOB,
    logo_type TEXT CHECK (logo_type IS NULL OR logo_type IN ('image/png', 'image/jpeg', 'image/webp')),
    logo_sha256 TEXT,
    updated_at INTEGER
);
INSERT INTO clinic_profile (id) VALUES (1);
