"""The supervisors' console: roster editor, coverage map, calls, behind a login (`siaga web`)."""
