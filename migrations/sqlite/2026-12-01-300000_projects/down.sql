DROP TABLE ledger_entries;
DROP TABLE project_members;
DROP TABLE projects;
