"""The LLM question engine: the OpenAI-compatible client, its prompts, costs and the engine."""
