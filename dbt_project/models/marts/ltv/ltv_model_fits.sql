{#- Fitted LTV parameters, one row per (as_of_date, fit_period, model, parameter): the 'as_of'
    fit behind customer_ltv and the 'calibration' fit behind ltv_backtest_deciles. BG/NBD
    parameters are in days (alpha scales with the time unit). Incremental: a run replaces the
    rows of its as-of date, so the table is the parameter history a data scientist follows for
    drift. fitted_as_of_date is the run that fitted the parameters (they are refitted every var
    ltv_refit_days days; NULL on rows written before the column existed, when every run
    refitted). -#}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='as_of_date', on_schema_change='append_new_columns') }}

{%- set parameters = [
    ('bg_nbd', 'r', 'bgnbd_r'),
    ('bg_nbd', 'alpha', 'bgnbd_alpha'),
    ('bg_nbd', 'a', 'bgnbd_a'),
    ('bg_nbd', 'b', 'bgnbd_b'),
    ('gamma_gamma', 'p', 'gamma_gamma_p'),
    ('gamma_gamma', 'q', 'gamma_gamma_q'),
    ('gamma_gamma', 'v', 'gamma_gamma_v'),
] %}

with fits as (

    select
        fit_period,
        as_of_date,
        period_end_date,
        fitted_as_of_date,
        fit_customers,
        fit_repeat_customers,
        {%- for _, _, col in parameters %}
        {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_ltv_scores') }}
    group by
        fit_period, as_of_date, period_end_date, fitted_as_of_date, fit_customers,
        fit_repeat_customers,
        {%- for _, _, col in parameters %}
        {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}

)

{% for model_name, parameter, col in parameters %}
select
    cast(as_of_date as date) as as_of_date,
    cast(fit_period as {{ dbt.type_string() }}) as fit_period,
    cast(period_end_date as date) as period_end_date,
    cast('{{ model_name }}' as {{ dbt.type_string() }}) as model,
    cast('{{ parameter }}' as {{ dbt.type_string() }}) as parameter,
    cast({{ col }} as double) as parameter_value,
    cast(fit_customers as integer) as fit_customers,
    cast(fit_repeat_customers as integer) as fit_repeat_customers,
    cast(fitted_as_of_date as date) as fitted_as_of_date
from fits
{% if not loop.last %}union all{% endif %}
{% endfor %}
