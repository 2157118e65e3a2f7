"""Email: the SMTP transport, the messages Lumiere sends, letters waiting on disk, and the links in them."""
