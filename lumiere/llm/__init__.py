"""Question engines: the OpenAI-compatible LLM engine and the built-in offline engine."""
