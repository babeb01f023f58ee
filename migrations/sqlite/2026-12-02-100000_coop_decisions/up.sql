-- One coop, one vote: a coop proposal may decide how the coop votes on a network proposal
-- (counted per coop); when it closes, its result is cast as the coop actor's vote.
ALTER TABLE proposals ADD COLUMN decides_proposal_id BIGINT REFERENCES proposals (id) ON DELETE SET NULL;
-- At most one coop proposal decides a coop's vote on a network proposal.
CREATE UNIQUE INDEX proposals_decides ON proposals (decides_proposal_id);
