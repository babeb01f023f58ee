DROP TABLE remote_memberships;
DROP TABLE coop_group_members;
DROP TABLE coop_groups;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE invitations;
DROP TABLE members;
