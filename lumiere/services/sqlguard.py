"""The gate in front of users' data: one read-only SELECT over the user's own tables, or a refusal.

Everything is decided on sqlglot's tree in the target dialect, and what runs is re-rendered from
that checked tree (never the text that came in), with every identifier quoted, comments dropped
and a row cap. Unknown node types and unknown functions are refused: the lists below say what is
allowed, not what is forbidden, so a construct nobody thought about fails closed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from lumiere.core.errors import BadRequest
from lumiere.services.sqlnames import ascii_lower, cte_name, lookalike_problem, same_name, visible_ctes
from lumiere.services.sqlsizes import ValueTooBig, check_value_sizes

DIALECTS = ("duckdb", "postgres", "mysql")
MAX_SQL_CHARS = 100_000
_COUNT_ALIAS = "lumiere_counted"
_TOO_DEEP = "The SQL is nested too deeply to check; simplify it (fewer nested parentheses)."

# sqlglot logs a warning whenever it falls back to an opaque Command; the guard refuses those anyway.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class SqlRefused(BadRequest):
    """SQL the guard will not run; `detail` says what to change."""


@dataclass
class GuardedSQL:
    sql: str  # re-rendered from the checked tree, with the row cap applied
    tables: list[str]  # the allowed tables it reads, as the caller spelled them
    limited: bool  # True when the cap (not the user's own LIMIT) bounds the rows
    # Counts the rows the query would return without the cap; set only when `limited`.
    count_sql: str | None = None


def _classes(*names: str) -> frozenset[type]:
    return frozenset(getattr(exp, name) for name in names)


# Grammar of a read-only query. Any node type not listed here is refused.
_STRUCTURE = _classes(
    "Select", "Union", "Intersect", "Except", "Subquery", "From", "Join", "Table", "TableAlias",
    "With", "CTE", "Where", "Group", "Having", "Qualify", "Order", "Ordered", "Limit", "Offset",
    "Fetch", "LimitOptions", "Distinct", "Window", "WindowSpec", "Filter", "WithinGroup",
    "IgnoreNulls", "RespectNulls", "Cube", "Rollup", "GroupingSets", "Values", "Lateral",
    "Alias", "Column", "Identifier", "Star", "Literal", "Boolean", "Null", "Var", "Paren", "Tuple",
    "DataType", "DataTypeParam", "Interval", "Bracket", "Slice", "PropertyEQ", "Lambda",
    "Dot", "Escape", "AtTimeZone",
    # operators
    "Add", "Sub", "Mul", "Div", "IntDiv", "Mod", "DPipe", "Neg", "Not",
    "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "NullSafeEQ", "NullSafeNEQ", "Is", "In", "Between",
    "Like", "ILike", "SimilarTo", "Glob", "Any", "All",
    "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "BitwiseLeftShift", "BitwiseRightShift",
)

# Functions that compute on values only: no files, network, settings, server state or sleeping.
_SAFE_FUNCTIONS = _classes(
    # logic and conversion
    "And", "Or", "Xor", "Case", "If", "Coalesce", "Nullif", "Cast", "TryCast", "Exists", "Collate",
    "Greatest", "Least", "Typeof",
    # aggregates
    "Count", "CountIf", "Sum", "Avg", "Min", "Max", "Median", "Mode", "Stddev", "StddevPop",
    "StddevSamp", "Variance", "VariancePop", "Corr", "CovarPop", "CovarSamp", "ApproxDistinct",
    "ApproxQuantile", "Quantile", "PercentileCont", "PercentileDisc", "ArrayAgg", "GroupConcat",
    "ArgMax", "ArgMin", "AnyValue", "First", "Last", "LogicalAnd", "LogicalOr", "BitwiseAndAgg",
    "BitwiseOrAgg", "BitwiseXorAgg", "Skewness", "Kurtosis", "RegrSlope", "RegrIntercept", "RegrR2",
    "RegrCount", "RegrAvgx", "RegrAvgy", "RegrSxx", "RegrSyy", "RegrSxy", "Grouping", "List",
    # window functions
    "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile", "Lag", "Lead",
    "FirstValue", "LastValue", "NthValue",
    # numbers
    "Abs", "Ceil", "Floor", "Round", "Trunc", "Sqrt", "Cbrt", "Pow", "Exp", "Ln", "Log", "Sign",
    "Pi", "Degrees", "Radians", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Cot",
    "IsNan", "IsInf", "SafeDivide", "Rand", "BitwiseCount", "NumberToStr", "ToNumber", "WidthBucket",
    # text
    "Lower", "Upper", "Length", "BitLength", "Substring", "Left", "Right", "Trim", "Concat",
    "ConcatWs", "Replace", "StrPosition", "Initcap", "Pad", "Reverse", "RegexpLike", "RegexpILike",
    "RegexpExtract", "RegexpReplace", "RegexpFullMatch", "Split", "SplitPart", "StartsWith",
    "EndsWith", "Contains", "Translate", "Ascii", "Chr", "Levenshtein", "JarowinklerSimilarity",
    "MD5", "Format", "RegexpCount", "RegexpInstr", "RegexpSubstr", "Elt", "Hex", "Soundex",
    # dates and times
    "CurrentDate", "CurrentTimestamp", "CurrentTime", "Localtime", "Localtimestamp", "Date",
    "Datetime", "Time", "Timestamp", "DateTrunc", "TimestampTrunc", "DatetimeTrunc", "TimeTrunc",
    "Extract", "DateAdd", "DateSub", "DateDiff", "DatetimeAdd", "DatetimeSub", "DatetimeDiff",
    "TimestampAdd", "TimestampSub", "TimestampDiff", "TimeAdd", "TimeSub", "TimeDiff", "TsOrDsAdd",
    "TsOrDsDiff", "TsOrDsToDate", "TsOrDsToTimestamp", "TsOrDsToTime", "Year", "Quarter", "Month",
    "Week", "WeekOfYear", "Day", "DayOfMonth", "DayOfWeek", "DayOfWeekIso", "DayOfYear", "Hour",
    "Minute", "Second", "Dayname", "Monthname", "LastDay", "StrToDate", "StrToTime", "TimeToStr",
    "TimeStrToTime", "TimeStrToDate", "DateStrToDate", "DateToDateStr", "UnixToTime", "TimeToUnix",
    "UnixToStr", "ToChar", "DateFromParts", "TimestampFromParts", "TimeFromParts", "MakeInterval",
    "AddMonths", "MonthsBetween", "DateBin", "ToDays", "JustifyDays", "JustifyHours", "UtcDate",
    "UtcTimestamp",
    # lists, structs and JSON values
    "Array", "ArraySize", "ArrayContains", "ArrayToString", "ArraySlice", "ArraySort",
    "ArrayDistinct", "ArrayFilter", "ArrayPosition", "ArrayMax", "ArrayMin", "Flatten", "Struct",
    "StructExtract", "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar", "Columns",
    "StringToArray",
)

# Value-only functions sqlglot has no class for (it parses them as Anonymous), by lower-case name.
_SAFE_FUNCTION_NAMES = {
    "duckdb": frozenset({
        "date_part", "datepart", "age", "octet_length", "btrim", "every", "now", "hash", "printf",
        "strlen", "date_sub", "bit_count", "isoyear", "yearweek", "epoch_us", "list_extract",
        "list_element", "strip_accents", "nfc_normalize", "even", "gamma", "lgamma", "gcd", "lcm", "bar",
        "format_bytes", "list_position", "list_sum", "list_avg", "list_count", "list_unique", "century",
        "decade", "millennium", "era", "microsecond", "millisecond", "nanosecond", "weekday", "histogram",
    }),
    "postgres": frozenset({
        "age", "octet_length", "every", "bit_count", "make_date", "gcd", "lcm", "scale", "trim_scale",
        "isfinite", "unaccent", "quote_literal", "cardinality", "num_nonnulls", "num_nulls",
    }),
    "mysql": frozenset({
        "now", "unix_timestamp", "sysdate", "weekday", "yearweek", "octet_length", "from_days",
        "makedate", "period_add", "period_diff", "sec_to_time", "time_to_sec", "mid", "field", "conv",
        "bin", "oct", "microsecond", "json_unquote", "json_length", "json_contains",
    }),
}

_READS_OUTSIDE = re.compile(
    r"^(read_|pg_|lo_|http|dblink|duckdb_|sqlite_|parquet_|iceberg_|delta_|json_each|"
    r"current_setting|set_config|getenv|load_file|load_extension|glob$|query$|query_table|range$|"
    r"generate_series|unnest$|.*_scan$|version$|current_user|session_user|current_role|user$|"
    r"current_database|current_schema|current_catalog|database$|schema$|inet_|txid|system|sys_|"
    r"master_|xp_|copy|export|import|file|url)",
    re.IGNORECASE,
)
_DELAYS = re.compile(r"(sleep|benchmark|wait|delay)", re.IGNORECASE)

_SYSTEM_SCHEMAS = frozenset({
    "information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys", "system",
    "temp", "memory",
})
_SYSTEM_TABLE = re.compile(r"^(pg_|duckdb_|sqlite_|pragma_|information_schema)", re.IGNORECASE)
_FILE_LIKE = re.compile(
    r"([/\\]|://|^~|\.(csv|tsv|txt|json|jsonl|ndjson|parquet|xlsx?|duckdb|db|sqlite3?|arrow|avro|"
    r"gz|zst|bz2|xz|zip)$)",
    re.IGNORECASE,
)

# Optional parts each node may carry; anything else set on it (INTO, locks, hints, samples,
# time travel, MySQL modifiers ...) is refused.
_ALLOWED_ARGS: dict[type, frozenset[str]] = {
    exp.Select: frozenset({
        "with_", "expressions", "distinct", "from_", "joins", "where", "group", "having", "qualify",
        "windows", "order", "limit", "offset", "laterals",
    }),
    exp.Union: frozenset({"with_", "this", "expression", "distinct", "by_name", "order", "limit", "offset"}),
    exp.Subquery: frozenset({"this", "alias", "order", "limit", "offset"}),
    exp.Table: frozenset({"this", "alias", "db", "catalog"}),
    exp.Join: frozenset({"this", "on", "side", "kind", "using", "method"}),
    exp.Column: frozenset({"this", "table", "db", "catalog"}),
    exp.CTE: frozenset({"this", "alias", "materialized"}),
    exp.With: frozenset({"expressions", "recursive"}),
    exp.Values: frozenset({"expressions", "alias"}),
    exp.Lateral: frozenset({"this", "view", "outer", "alias"}),
    exp.Star: frozenset({"except_", "replace", "rename"}),
}
_ALLOWED_ARGS[exp.Intersect] = _ALLOWED_ARGS[exp.Union]
_ALLOWED_ARGS[exp.Except] = _ALLOWED_ARGS[exp.Union]

_ARG_WORDS = {
    "into": "SELECT ... INTO is not allowed: queries may only read data, not create tables or files.",
    "locks": "Locking clauses (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are not allowed in a read-only query.",
    "hint": "Optimizer hints are not allowed; remove the /*+ ... */ hint.",
    "hints": "Index hints are not allowed; remove USE/FORCE/IGNORE INDEX.",
    "sample": "Table sampling is not supported; use LIMIT or a WHERE filter instead.",
}

_STATEMENT_NAMES = {
    exp.Insert: "INSERT", exp.Update: "UPDATE", exp.Delete: "DELETE", exp.Merge: "MERGE",
    exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER", exp.Copy: "COPY",
    exp.Attach: "ATTACH", exp.Detach: "DETACH", exp.Install: "INSTALL", exp.Pragma: "PRAGMA",
    exp.Set: "SET", exp.Use: "USE", exp.Describe: "DESCRIBE", exp.Show: "SHOW",
    exp.Summarize: "SUMMARIZE", exp.Transaction: "BEGIN", exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK", exp.TruncateTable: "TRUNCATE", exp.Grant: "GRANT",
    exp.Revoke: "REVOKE", exp.Analyze: "ANALYZE", exp.Kill: "KILL", exp.LoadData: "LOAD DATA",
    exp.Export: "EXPORT", exp.Pivot: "PIVOT", exp.Cache: "CACHE", exp.Refresh: "REFRESH",
    exp.Execute: "EXECUTE",
}


def guard_sql(
    sql: str,
    *,
    dialect: str,
    allowed_tables: Collection[str],
    row_cap: int | None,
    allowed_schemas: Collection[str] = (),
    qualify_schema: str | None = None,
) -> GuardedSQL:
    """Check `sql` and return the text to run instead of it, or raise SqlRefused.

    `allowed_tables` are the only tables it may read (compared the way the dialect resolves
    names); a table may be prefixed with one of `allowed_schemas`. With `qualify_schema`, every
    table in the output is qualified with it, so the database's search path cannot redirect a name.
    `row_cap=None` adds no cap (exports, which stream every row); the query's own LIMIT still holds.

    The verdict depends on nothing but these arguments, so accepted SQL is remembered (a repeated
    question, a re-run, a pinned chart: three sqlglot parses saved each time); a refusal is not.
    """
    if not isinstance(sql, str) or len(sql) > _REMEMBERED_SQL_CHARS:
        return _guard(sql, dialect, tuple(allowed_tables), row_cap, tuple(allowed_schemas), qualify_schema)
    verdict = _remembered_guard(sql, dialect, tuple(allowed_tables), row_cap, tuple(allowed_schemas), qualify_schema)
    return replace(verdict, tables=list(verdict.tables))  # the caller may change its copy


_REMEMBERED_SQL_CHARS = 20_000


@lru_cache(maxsize=1024)
def _remembered_guard(
    sql: str,
    dialect: str,
    allowed_tables: tuple[str, ...],
    row_cap: int | None,
    allowed_schemas: tuple[str, ...],
    qualify_schema: str | None,
) -> GuardedSQL:
    return _guard(sql, dialect, allowed_tables, row_cap, allowed_schemas, qualify_schema)


def _guard(
    sql: str,
    dialect: str,
    allowed_tables: Collection[str],
    row_cap: int | None,
    allowed_schemas: Collection[str],
    qualify_schema: str | None,
) -> GuardedSQL:
    if dialect not in DIALECTS:
        raise ValueError(f"unsupported dialect {dialect!r}")
    if row_cap is not None and row_cap < 1:
        raise ValueError("row_cap must be at least 1")
    parsed = _parse_single_query(sql, dialect)
    try:
        query = cast(exp.Query, parsed.transform(_plain_string))  # only literals change, never the root
        _check_nodes(query, dialect)
        _check_value_sizes(query)
        if dialect == "postgres":
            query = normalize_identifiers(query, dialect=dialect)
        tables = _check_tables(query, dialect, list(allowed_tables), list(allowed_schemas), qualify_schema)
        uncapped = query.copy()
        limited = _apply_row_cap(query, row_cap)
        rendered = _render(query, dialect)
        count_sql = _render(_count_query(uncapped), dialect) if limited else None
        schemas = [*allowed_schemas, *([qualify_schema] if qualify_schema else [])]
        for text in (rendered, count_sql):
            if text is not None:
                _check_rendering(text, dialect, list(allowed_tables), schemas)
    except RecursionError:
        raise SqlRefused(_TOO_DEEP) from None
    return GuardedSQL(sql=rendered, tables=tables, limited=limited, count_sql=count_sql)


def _check_rendering(text: str, dialect: str, allowed_tables: list[str], allowed_schemas: list[str]) -> None:
    """What runs is the rendering, so it must pass the guard too: sqlglot can render a tree other
    than the text it parsed (it drops a WITH attached to a UNION branch, leaving its name to stand
    for a real table)."""
    try:
        again = _parse_single_query(text, dialect)
        _check_nodes(again, dialect)
        _check_tables(again, dialect, allowed_tables, allowed_schemas, None)
    except SqlRefused:
        raise SqlRefused(
            "This SQL cannot be checked safely as written; put every WITH clause at the very start of the query."
        ) from None


# --- parsing -----------------------------------------------------------------------------------


def _parse_single_query(sql: str, dialect: str) -> exp.Query:
    if not isinstance(sql, str) or not sql.strip():
        raise SqlRefused("The SQL is empty; write one SELECT statement.")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"The SQL is longer than {MAX_SQL_CHARS:,} characters; shorten it.")
    if "\x00" in sql:
        raise SqlRefused("The SQL contains a NUL character; remove it.")
    try:
        statements = [statement for statement in sqlglot.parse(sql, read=dialect) if statement is not None]
    except ParseError as error:
        raise SqlRefused(_parse_error_message(error)) from None
    except TokenError as error:
        raise SqlRefused(f"The SQL could not be read: {_first_line(str(error))}. Check quotes and brackets.") from None
    except RecursionError:
        raise SqlRefused(_TOO_DEEP) from None
    if not statements:
        raise SqlRefused("The SQL is empty; write one SELECT statement.")
    if len(statements) > 1:
        raise SqlRefused(f"Only a single SELECT statement is allowed; found {len(statements)} statements.")
    statement = statements[0]
    while isinstance(statement, exp.Subquery) and not statement.args.get("alias") and _only_this(statement):
        statement = statement.this
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        raise SqlRefused(
            f"Only a single read-only SELECT statement is allowed, not {_statement_name(statement, sql)}."
        )
    statement.pop()
    return statement


def _only_this(node: exp.Expr) -> bool:
    return all(value in (None, [], False) for key, value in node.args.items() if key != "this")


def _statement_name(statement: exp.Expr, text: str = "") -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    for cls, name in _STATEMENT_NAMES.items():
        if isinstance(statement, cls):
            return name
    first_word = re.match(r"\s*([A-Za-z_]+)", text)
    return first_word.group(1).upper() if first_word else "another kind of statement"


def _parse_error_message(error: ParseError) -> str:
    if error.errors:
        first = error.errors[0]
        description = _first_line(str(first.get("description", "syntax error")))
        description = re.sub(r"<Token token_type: TokenType\.\w+, text: ([^,]*),.*?>", r"'\1'", description)
        where = f" (line {first.get('line')}, column {first.get('col')})" if first.get("line") else ""
        return f"The SQL could not be read: {description}{where}. Check the syntax near that point."
    return f"The SQL could not be read: {_first_line(str(error))}."


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return text.strip().splitlines()[0][:300] if text.strip() else "syntax error"


# --- node and function checks --------------------------------------------------------------------

_CONSTRUCT_NAMES = {
    "HexString": "Hex literals (0x...)",
    "BitString": "Bit-string literals (b'...')",
    "ByteString": "Byte-string literals",
    "National": "National-character literals (N'...')",
    "Introducer": "Character-set introducers (_utf8'...')",
    "TableSample": "Table sampling",
    "Pivot": "PIVOT and UNPIVOT",
    "MatchRecognize": "MATCH_RECOGNIZE",
    "Connect": "CONNECT BY",
    "Pseudocolumn": "Pseudo-columns",
}


def _plain_string(node: exp.Expr) -> exp.Expr:
    """$$dollar-quoted$$ text is just a string: render it as an ordinary quoted literal."""
    if isinstance(node, exp.RawString):
        return exp.Literal.string(str(node.this))
    return node


def _check_nodes(query: exp.Expr, dialect: str) -> None:
    for node in query.walk():
        cls = type(node)
        allowed_args = _ALLOWED_ARGS.get(cls)
        if allowed_args is not None:
            _check_args(node, allowed_args)
        if cls in _STRUCTURE:
            _check_structure(node, dialect)
        elif cls is exp.Anonymous:
            name = str(node.this)
            if ascii_lower(name) not in _SAFE_FUNCTION_NAMES[dialect]:
                raise SqlRefused(_function_message(name))
        elif cls in _SAFE_FUNCTIONS:
            continue
        elif isinstance(node, exp.Func):
            raise SqlRefused(_function_message(_function_name(node, dialect)))
        elif isinstance(node, (exp.Placeholder, exp.Parameter, exp.SessionParameter)):
            raise SqlRefused(
                "Parameters and server variables ($1, ?, @var, @@setting) are not allowed; write values in."
            )
        elif isinstance(node, exp.Into):
            raise SqlRefused(_ARG_WORDS["into"])
        elif isinstance(node, exp.Lock):
            raise SqlRefused(_ARG_WORDS["locks"])
        elif isinstance(node, (exp.Query, exp.DDL, exp.DML, exp.Command)) or type(node) in _STATEMENT_NAMES:
            raise SqlRefused(
                f"Only a single read-only SELECT statement is allowed; remove the {_statement_name(node)} inside it."
            )
        else:
            construct = _CONSTRUCT_NAMES.get(cls.__name__, f"The SQL construct {cls.__name__}")
            raise SqlRefused(f"{construct} cannot be used here; rewrite it as a plain SELECT.")


def _check_value_sizes(query: exp.Expr) -> None:
    try:
        check_value_sizes(query)
    except ValueTooBig as error:
        raise SqlRefused(str(error)) from None


def _check_args(node: exp.Expr, allowed: frozenset[str]) -> None:
    for key, value in node.args.items():
        if key in allowed or value in (None, False, []):
            continue
        if key in _ARG_WORDS:
            raise SqlRefused(_ARG_WORDS[key])
        if key == "operation_modifiers":
            raise SqlRefused("SELECT modifiers (HIGH_PRIORITY, SQL_NO_CACHE ...) are not allowed; remove them.")
        raise SqlRefused(f"The {key.strip('_').upper()} clause is not supported here; rewrite it as a plain SELECT.")


def _check_structure(node: exp.Expr, dialect: str) -> None:
    if isinstance(node, exp.Identifier) and (problem := lookalike_problem(node)):
        raise SqlRefused(problem)
    if isinstance(node, exp.Dot) and not isinstance(node.expression, exp.Identifier):
        raise SqlRefused(
            "Functions cannot be called through a schema or with method syntax (x.f()); call them directly, f(x)."
        )
    if isinstance(node, exp.Lateral) and not isinstance(node.this, exp.Subquery):
        raise SqlRefused("LATERAL is only allowed with a subquery; table functions are not allowed.")
    if isinstance(node, exp.Var) and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(node.this)):
        raise SqlRefused(f"The word {str(node.this)[:40]!r} is not understood here; check the syntax.")
    if isinstance(node, exp.Column) and node.args.get("catalog") is not None:
        raise SqlRefused("Column names may have at most a table prefix; remove the database or catalog name.")
    if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
        inner = node.this
        name = str(inner.this) if isinstance(inner, exp.Anonymous) else _function_name(inner, dialect)
        raise SqlRefused(_function_message(name))


def _function_name(node: exp.Expr, dialect: str) -> str:
    rendered = node.sql(dialect=dialect)
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", rendered)
    return match.group(1).lower() if match else type(node).__name__.lower()


def _function_message(name: str) -> str:
    name = name.lower()
    if _DELAYS.search(name):
        return f"The function {name} is not allowed: it only slows the database down."
    if _READS_OUTSIDE.match(name):
        return f"The function {name} is not allowed: queries may only read your own tables."
    return (
        f"The function {name} is not supported here: use common SQL functions "
        "(aggregates, arithmetic, text and date functions)."
    )


# --- tables --------------------------------------------------------------------------------------


def _check_tables(
    query: exp.Expr,
    dialect: str,
    allowed_tables: list[str],
    allowed_schemas: list[str],
    qualify_schema: str | None,
) -> list[str]:
    used: list[str] = []
    for table in list(query.find_all(exp.Table)):
        written = table.this
        if table.args.get("catalog") is not None:
            raise SqlRefused(
                f"The table {table.sql(dialect=dialect)} names a database or catalog: use your table's name alone."
            )
        schema = table.args.get("db")
        if schema is None and _is_visible_cte(table, written, dialect):
            continue
        schema_name = None if schema is None else _resolve_name(schema, allowed_schemas, dialect)
        if schema is not None and schema_name is None:
            raise SqlRefused(_schema_message(schema.name, allowed_schemas))
        canonical = _resolve_name(written, allowed_tables, dialect)
        if canonical is None:
            raise SqlRefused(_table_message(written.name, allowed_tables))
        if canonical not in used:
            used.append(canonical)
        if not table.args.get("alias") and not _names_table(written, canonical, dialect):
            # Keep `written.column` references resolving after the rename below.
            table.set("alias", exp.TableAlias(this=exp.to_identifier(_resolved(written, dialect), quoted=True)))
        table.set("this", exp.to_identifier(canonical, quoted=True))
        if qualify_schema or schema_name:
            table.set("db", exp.to_identifier(qualify_schema or schema_name, quoted=True))
    return used


def _resolved(identifier: exp.Identifier, dialect: str) -> str:
    """The name the database will look up: PostgreSQL folds unquoted names to (ASCII) lower case."""
    if dialect == "postgres" and not identifier.quoted:
        return ascii_lower(identifier.name)
    return identifier.name


def _names_table(identifier: exp.Identifier, name: str, dialect: str) -> bool:
    return same_name(identifier, exp.to_identifier(name, quoted=True), dialect)


def _resolve_name(identifier: exp.Identifier, candidates: list[str], dialect: str) -> str | None:
    """The candidate the identifier names: an exact match first, else a unique ASCII-case-insensitive one."""
    wanted = _resolved(identifier, dialect)
    for candidate in candidates:
        if candidate == wanted:
            return candidate
    folded = [candidate for candidate in candidates if ascii_lower(candidate) == ascii_lower(identifier.name)]
    return folded[0] if len(folded) == 1 else None


def _is_visible_cte(table: exp.Table, written: exp.Identifier, dialect: str) -> bool:
    """True when a WITH in scope defines this name, so the reference cannot reach a real table."""
    names = (cte_name(cte) for cte in visible_ctes(table))
    return any(same_name(written, name, dialect) for name in names if name is not None)


def _table_message(name: str, allowed_tables: list[str]) -> str:
    if _FILE_LIKE.search(name):
        return f"File paths and URLs cannot be used as tables ({name[:80]!r}): queries may only read your own tables."
    if _SYSTEM_TABLE.match(name):
        return f"The table {name} is a system catalog: queries may only read your own tables."
    shown = ", ".join(allowed_tables[:10]) + (" ..." if len(allowed_tables) > 10 else "")
    return f"The table {name[:80]} is not one of your tables; available: {shown or 'none'}."


def _schema_message(schema: str, allowed_schemas: list[str]) -> str:
    if schema.lower() in _SYSTEM_SCHEMAS or _SYSTEM_TABLE.match(schema):
        return f"The schema {schema} holds system catalogs: queries may only read your own tables."
    if allowed_schemas:
        return f"The schema {schema[:80]} is not available; use {', '.join(allowed_schemas)} or no schema prefix."
    return f"The schema {schema[:80]} is not available; write your table's name without a schema prefix."


# --- row cap and rendering -----------------------------------------------------------------------


def _apply_row_cap(query: exp.Query, row_cap: int | None) -> bool:
    """Cap the rows at row_cap + 1 (so truncation is detectable); True when the cap is what binds.

    Without a cap, only the query's own LIMIT (checked and re-rendered the same way) bounds the rows.
    """
    limit = query.args.get("limit")
    if limit is None:
        if row_cap is None:
            return False
        query.set("limit", exp.Limit(expression=exp.Literal.number(row_cap + 1)))
        return True
    options = limit.args.get("limit_options")
    if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
        raise SqlRefused("LIMIT ... PERCENT and WITH TIES are not supported; use LIMIT with a whole number.")
    count = limit.args.get("count") if isinstance(limit, exp.Fetch) else limit.expression
    user_limit = _whole_number(count)
    if user_limit is None:
        raise SqlRefused("LIMIT must be a whole number, e.g. LIMIT 100.")
    if row_cap is None or user_limit <= row_cap:
        query.set("limit", exp.Limit(expression=exp.Literal.number(user_limit)))
        return False
    query.set("limit", exp.Limit(expression=exp.Literal.number(row_cap + 1)))
    return True


def _whole_number(node: exp.Expr | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string and re.fullmatch(r"\d+", str(node.this)):
        return int(node.this)
    return None


def _count_query(query: exp.Query) -> exp.Select:
    """SELECT COUNT(*) over the query as the user wrote it (its own LIMIT kept, ordering dropped)."""
    if query.args.get("limit") is None and query.args.get("offset") is None:
        query.set("order", None)
    return exp.select(exp.Count(this=exp.Star()).as_("row_count")).from_(
        exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(_COUNT_ALIAS)))
    )


def _render(query: exp.Expr, dialect: str) -> str:
    return query.sql(dialect=dialect, identify=True, comments=False)
