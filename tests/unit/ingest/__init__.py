"""Tests of the CSV ingest package (lumiere/services/ingest)."""
