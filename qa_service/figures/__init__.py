"""Figures as data: every number of the corpus with the measure, sub-case, unit and
document it belongs to (``extract`` reads a sentence, ``table`` holds the rows)."""

FIGURES_VERSION = 15  # bump when the extractor changes: builds with an older table get it rebuilt at load
