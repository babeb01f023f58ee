-- The language a member chose for the pages (a BCP 47 tag such as `de`); NULL: the browser's.
ALTER TABLE members ADD COLUMN language TEXT;
