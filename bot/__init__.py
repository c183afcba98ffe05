"""The top layer: the `karmabot` CLI, the process supervisor and the composition root."""
