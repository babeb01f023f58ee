DROP TABLE hosts;
DROP TABLE deliveries;
DROP TABLE outgoing_activities;
DROP TABLE posts;
DROP TABLE received_activities;
DROP TABLE follows;
DROP TABLE local_keys;
DROP TABLE actors;
