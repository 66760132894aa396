"""The complaints desk (issue 12): numbered complaints with LAPOR!/SP4N statuses, service levels on a
working calendar with Indonesia's public holidays, and a public view without personal data."""
