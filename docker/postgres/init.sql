-- Runs once, when the postgres volume is first created (docker-entrypoint-initdb.d), as POSTGRES_USER in the
-- POSTGRES_DB database (`auth`, the auth-server's). Every other service gets a database of its own; each app
-- creates its tables there with its migrations at boot. `docker compose down -v` drops the volume, so the
-- next `up` runs this again.
CREATE DATABASE orders;
CREATE DATABASE inventory;
CREATE DATABASE web;
