DROP TABLE proposal_comments;
DROP TABLE proposal_votes;
DROP TABLE proposals;
