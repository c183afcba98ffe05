"""The ground layer: settings, Unicode scripts and transliteration, the localized catalog.

Nothing here imports any other Karmabot package (docs/ARCHITECTURE.md, "Layers").
"""
