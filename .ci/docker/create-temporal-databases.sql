-- Temporal keeps its own databases beside socialsync's (auto-setup then creates the schema in them).
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
