"""The local cache: SQLite through sqlite-utils. No Qt, no network."""
