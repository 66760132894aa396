"""The browser phone ("Telepon"): an operator answers in the console, over WebRTC to Asterisk."""
