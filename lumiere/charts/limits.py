"""How much one chart shows: beyond these, a chart aggregates, cuts or samples, and says so in a note."""

from __future__ import annotations

MAX_CATEGORIES = 20  # bars beyond this are cut to the largest, with a note
MAX_PIE_SLICES = 6  # more slices fold the smallest into "Other"
MAX_COLOR_GROUPS = 10  # series beyond this are cut to the largest
MAX_DISCRETE_BARS = 100  # an integer dimension (size, age, hour) drawn as bars
MAX_LINE_POINTS = 2000  # per series
MAX_SCATTER_POINTS = 5000
MAX_HISTOGRAM_BINS = 50
MAX_TABLE_ROWS = 200
MAX_KPI_VALUES = 4
MIN_HISTOGRAM_ROWS = 10
MAX_TITLE_CHARS = 120
