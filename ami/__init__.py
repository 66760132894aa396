"""Asterisk's manager interface (AMI): the engine's second line to Asterisk, beside FastAGI."""
