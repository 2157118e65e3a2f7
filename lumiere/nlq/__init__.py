"""The built-in question engine: plain-language questions to SQL by rules, without any LLM.

A question is linked to the schema (`linking`), planned in passes (`planner`), and rendered as a
sqlglot tree (`rendering`); `reader` picks the table that places the most of it, `engine` wraps
that in the engine contract, and `suggestions` offers questions it can answer.
"""
