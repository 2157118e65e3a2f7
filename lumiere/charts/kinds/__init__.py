"""One module per chart kind, each drawing a figure from a spec and the result's column profiles."""
