DROP INDEX proposals_decides;
ALTER TABLE proposals DROP COLUMN decides_proposal_id;
