DROP INDEX actors_public_key_id;
