"""Call records: one row per call and one per attempt, so a supervisor can see why a call went where it went.

`report` turns what the engine decided and what the dialplan reported into plain events; `writer` moves
them into the database off the call's path (spooled to a local file first, retried while the database is
locked or down); `explain` puts a record into words; `model` holds the tables.
"""
