"""The gateway's cost per turn on each channel, against a direct call to Rasa."""
