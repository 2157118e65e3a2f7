"""What every layer needs and that depends on no layer above it: the question-engine contract."""
