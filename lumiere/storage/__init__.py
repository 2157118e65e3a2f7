"""Lowest layer: DuckDB dataset files and connections to users' external databases."""
