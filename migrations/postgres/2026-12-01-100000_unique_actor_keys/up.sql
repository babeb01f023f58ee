-- A key id names one actor: the inbox finds a signer by its key id (through this index, not
-- a scan), and an actor claiming another's key id can no longer be picked in its place.
-- Duplicates could exist before. The key stays with the actor whose id the key id extends
-- (`<actor>#main-key`, `<actor>/main-key`), else with the oldest row; the others get a
-- placeholder no request can name, and their real key when they are next fetched.
UPDATE actors SET public_key_id = 'urn:cooperage:duplicate-key:' || id
WHERE substr(public_key_id, 1, length(ap_id)) <> ap_id
  AND EXISTS (SELECT 1 FROM actors other
              WHERE other.public_key_id = actors.public_key_id AND other.id <> actors.id
                AND substr(other.public_key_id, 1, length(other.ap_id)) = other.ap_id);
UPDATE actors SET public_key_id = 'urn:cooperage:duplicate-key:' || id
WHERE EXISTS (SELECT 1 FROM actors other
              WHERE other.public_key_id = actors.public_key_id AND other.id < actors.id);
CREATE UNIQUE INDEX actors_public_key_id ON actors (public_key_id);
