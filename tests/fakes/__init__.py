"""Local fake servers for the remote services Karmabot talks to (loopback only)."""
