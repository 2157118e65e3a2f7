"""Tests of the pure chart library (lumiere/charts) and the chart service."""
