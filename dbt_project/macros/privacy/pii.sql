{#- Personal data: normalise in SQL, then replace with a keyed hash. Mirrors
    orchestration/lib/privacy/hashing.py exactly (tests/unit/test_privacy_sql_parity.py). -#}

{#- pii_hash(expr) -> HMAC-SHA256(key, expr) as 64 lower-case hex chars; NULL stays NULL.
    The key never appears in SQL: the engine must provide a UDF named pii_hash that reads it
    from the environment (DuckDB: orchestration/lib/privacy/duckdb_plugin.py; Spark: orchestration/lib/spark.py). -#}
{% macro pii_hash(expr) -%}
    {{ return(adapter.dispatch('pii_hash', 'marketing_lakehouse')(expr)) }}
{%- endmacro %}

{% macro duckdb__pii_hash(expr) -%}
    pii_hash({{ expr }})
{%- endmacro %}

{#- Spark: the session-scoped UDF registered by orchestration/lib/spark.py (same HMAC, key read
    from the environment inside the Python worker). -#}
{% macro spark__pii_hash(expr) -%}
    pii_hash({{ expr }})
{%- endmacro %}

{% macro default__pii_hash(expr) -%}
    {{ exceptions.raise_compiler_error(
        "pii_hash: adapter '" ~ adapter.type() ~ "' has no keyed-hash implementation. Register a "
        ~ "scalar UDF named pii_hash(string) -> string computing HMAC-SHA256 with the key read "
        ~ "from LAKEHOUSE_PII_KEY inside the engine (as orchestration/lib/privacy/duckdb_plugin.py "
        ~ "does for DuckDB), then add a " ~ adapter.type() ~ "__pii_hash macro calling it. Never "
        ~ "pass the key into SQL (no sha2(concat(key, value)), no var): compiled SQL is logged.") }}
{%- endmacro %}

{#- normalise_phone_e164(expr) -> '+86' + 11-digit mainland mobile, or NULL when not one.
    Strips spaces, tabs, CR/LF, dots, dashes and parentheses, then accepts an optional +86 / 0086 /
    86 prefix before 1[3-9] and 9 more digits. Landlines, foreign and malformed numbers -> NULL. -#}
{% macro normalise_phone_e164(expr) -%}
    {%- set compact = regex_replace_all(expr, '[ \t\r\n().-]', '') -%}
    (case when {{ regex_full_match(compact, '(?:[+]86|0086|86)?1[3-9][0-9]{9}') }}
        then {{ dbt.concat(["'+86'", dbt.right(compact, 11)]) }}
    end)
{%- endmacro %}

{#- normalise_email(expr) -> trimmed lower-case address, NULL when empty or not x@y.z shaped. -#}
{% macro normalise_email(expr) -%}
    {%- set e = 'lower(' ~ strip_ws(expr) ~ ')' -%}
    (case when {{ regex_full_match(e, '[^@ \t\r\n]+@[^@ \t\r\n]+[.][^@ \t\r\n]+') }} then {{ e }} end)
{%- endmacro %}

{#- normalise_national_id(expr) -> trimmed upper-case 18-char resident ID, NULL otherwise. -#}
{% macro normalise_national_id(expr) -%}
    {%- set n = 'upper(' ~ strip_ws(expr) ~ ')' -%}
    (case when {{ regex_full_match(n, '[0-9]{17}[0-9X]') }} then {{ n }} end)
{%- endmacro %}
