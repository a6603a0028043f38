{#- Helpers of the measurement marts (issue 11). Engine-specific parts go through adapter.dispatch. -#}

{#- A parameter of seeds/measurement_parameters.csv, cast to `type`. -#}
{% macro measurement_parameter(parameter, type='integer') -%}
    {{ activation_parameter('measurement_parameters', parameter, type) }}
{%- endmacro %}

{#- Median of an expression in an aggregate (DuckDB: median; Spark 3.4+: median; others:
    percentile_cont). -#}
{% macro measurement_median(expr) -%}
    {{ return(adapter.dispatch('measurement_median', 'marketing_lakehouse')(expr)) }}
{%- endmacro %}

{% macro default__measurement_median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__measurement_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__measurement_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{#- One long-format KPI row set: select ... as kpi_date, kpi, dimension, dimension_value,
    numerator, denominator, volume; value = numerator / denominator x scale (or numerator when
    denominator is null). -#}
{% macro measurement_kpi_rows(relation, scale=1) -%}
    select
        kpi_date,
        kpi,
        dimension,
        dimension_value,
        case
            when denominator is null then numerator
            when denominator > 0 then {{ scale }} * numerator / denominator
        end as value,
        numerator,
        denominator,
        volume
    from {{ relation }}
{%- endmacro %}
