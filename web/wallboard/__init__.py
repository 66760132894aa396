"""The PSC room's wallboard: live desks, operators and today's answer times (`/wallboard`)."""
