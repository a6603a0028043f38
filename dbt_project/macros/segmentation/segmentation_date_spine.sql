{#- Portable integer and date spines (no recursive CTE, no generate_series): cross joins of a
    ten-row digits table. segmentation_integer_spine(4) gives n = 0..9999. -#}
{% macro segmentation_integer_spine(digits=4) -%}
    {%- for i in range(digits) %}
    {{ 'select ' if loop.first }}d{{ i }}.n * {{ 10 ** i }}{{ ' + ' if not loop.last }}
    {%- endfor %} as n
    from
    {%- for i in range(digits) %}
        (
            select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
            union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
        ) as d{{ i }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- One row per calendar day (column spine_date, DATE) from start_date to end_date inclusive.
    Both arguments are SQL expressions of type DATE (literals or scalar subqueries); at most
    10 ** digits days. -#}
{% macro segmentation_date_spine(start_date, end_date, digits=4) -%}
    select spine_date
    from (
        select cast({{ dbt.dateadd('day', 'ints.n', 'bounds.start_date') }} as date) as spine_date, bounds.end_date
        from ({{ segmentation_integer_spine(digits) }}) as ints
        cross join (select cast({{ start_date }} as date) as start_date, cast({{ end_date }} as date) as end_date) as bounds
    ) as days
    where spine_date <= end_date
{%- endmacro %}
