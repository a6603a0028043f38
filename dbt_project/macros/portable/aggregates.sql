{#- sorted_listagg(measure, delimiter_sql) -> the values of measure in the group, sorted
    ascending, joined by delimiter_sql (a quoted SQL literal). dbt.listagg's order_by clause is
    ignored on Spark (dbt-spark warns and collects in arbitrary order), so Spark sorts the
    collected array instead. -#}
{% macro sorted_listagg(measure, delimiter_sql) -%}
    {{ return(adapter.dispatch('sorted_listagg', 'marketing_lakehouse')(measure, delimiter_sql)) }}
{%- endmacro %}
{% macro default__sorted_listagg(measure, delimiter_sql) -%}
    {{ dbt.listagg(measure, delimiter_sql, 'order by ' ~ measure) }}
{%- endmacro %}
{% macro spark__sorted_listagg(measure, delimiter_sql) -%}
    array_join(array_sort(collect_list({{ measure }})), {{ delimiter_sql }})
{%- endmacro %}
