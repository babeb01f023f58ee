DROP TABLE ledger_entries;
DROP FUNCTION ledger_entries_append_only();
DROP TABLE project_members;
DROP TABLE projects;
