"""One module per route, UI only."""
