"""Business logic, importable and testable without Reflex."""
