# The two commands. The work is in scripts/; this file only names it.
.PHONY: run test

## Build the app and start Stigmergy on http://127.0.0.1:8080 (SQLite, demo data).
run:
	scripts/run

## Run every check and test (format, clippy, size budget, unit, store, API, browser).
test:
	scripts/test
