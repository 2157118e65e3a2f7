"""What every layer needs and that depends on no other part of Lumiere: errors, the result set,
shared value types, limits, converters and the question-engine contract."""
