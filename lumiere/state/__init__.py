"""Reflex State classes: hold what a page shows and call services; no business logic here."""
