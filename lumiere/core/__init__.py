"""What every layer needs and that depends on no other part of Lumiere: shared value types,
limits and converters."""
