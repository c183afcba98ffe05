"""Karmabot: the assistant's settings, localized catalog, NLG and command line."""
