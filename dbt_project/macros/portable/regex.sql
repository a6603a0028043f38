{#- Engine-specific regular-expression and time-zone SQL lives behind adapter.dispatch.
    Patterns avoid backslashes (use [0-9], [.], [+]) so that they mean the same in RE2 (DuckDB)
    and Java regex (Spark), whatever each engine does with backslashes in string literals. -#}

{#- regex_full_match(expr, pattern) -> boolean: the whole of expr matches pattern. -#}
{% macro regex_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'marketing_lakehouse')(expr, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}
{% macro default__regex_full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#- regex_replace_all(expr, pattern, replacement) -> every match replaced. -#}
{% macro regex_replace_all(expr, pattern, replacement='') -%}
    {{ return(adapter.dispatch('regex_replace_all', 'marketing_lakehouse')(expr, pattern, replacement)) }}
{%- endmacro %}
{% macro duckdb__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
{% macro default__regex_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- strip_ws(expr): remove leading/trailing spaces, tabs, CR, LF (trim() only strips spaces on
    some engines; Python's str.strip(" \t\r\n") is the mirror). -#}
{% macro strip_ws(expr) -%}
    {{ regex_replace_all(expr, '^[ \t\r\n]+|[ \t\r\n]+$', '') }}
{%- endmacro %}

{#- clean_text(expr): stripped text, empty string -> NULL. Every raw VARCHAR goes through it. -#}
{% macro clean_text(expr) -%}
    nullif({{ strip_ws(expr) }}, '')
{%- endmacro %}

{#- try_cast_to(expr, type) -> NULL instead of an error when expr doesn't convert. dbt.safe_cast
    falls back to a plain cast on dbt-duckdb 1.11 (a bad value would fail the build). -#}
{% macro try_cast_to(expr, type) -%}
    {{ return(adapter.dispatch('try_cast_to', 'marketing_lakehouse')(expr, type)) }}
{%- endmacro %}
{% macro duckdb__try_cast_to(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}
{% macro spark__try_cast_to(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}
{% macro default__try_cast_to(expr, type) -%}
    {{ dbt.safe_cast(expr, type) }}
{%- endmacro %}
