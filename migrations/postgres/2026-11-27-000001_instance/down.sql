DROP TABLE instance;
