{#- Helpers for the segmentation models (RFM, lifecycle, membership tiers).
    Everything engine-specific goes through adapter.dispatch; the rest uses dbt cross-db macros. -#}

{#- The as-of date as a SQL expression of type DATE.
    var('as_of_date') ('YYYY-MM-DD') wins; the default is the latest order_date in fct_orders
    (so demo data works), falling back to the current date when fct_orders is empty. -#}
{% macro segmentation_as_of_date() -%}
    {#- the dependency on fct_orders is recorded at parse time whether or not the var is set: a
        run with the var must order the models as the manifest Dagster loaded (parsed without
        it) does. Not at execution: a unit test that sets the var gives no fct_orders input. -#}
    {%- if not execute -%}{%- do ref('fct_orders') -%}{%- endif -%}
    {%- set v = var('as_of_date', none) -%}
    {%- if v -%}
        cast('{{ v }}' as date)
    {%- else -%}
        coalesce((select max(aod.order_date) from {{ ref('fct_orders') }} as aod), cast({{ dbt.current_timestamp() }} as date))
    {%- endif -%}
{%- endmacro %}

{#- Local calendar date of a naive UTC timestamp (orders are dated in Asia/Shanghai). -#}
{% macro segmentation_local_date(ts, tz=none) -%}
    {{ return(adapter.dispatch('segmentation_local_date', 'marketing_lakehouse')(ts, tz or var('reporting_timezone', 'Asia/Shanghai'))) }}
{%- endmacro %}

{% macro default__segmentation_local_date(ts, tz) -%}
    cast(((cast({{ ts }} as timestamp) at time zone 'UTC') at time zone '{{ tz }}') as date)
{%- endmacro %}

{% macro spark__segmentation_local_date(ts, tz) -%}
    cast(from_utc_timestamp(cast({{ ts }} as timestamp), '{{ tz }}') as date)
{%- endmacro %}

{% macro duckdb__segmentation_local_date(ts, tz) -%}
    cast(timezone('{{ tz }}', timezone('UTC', cast({{ ts }} as timestamp))) as date)
{%- endmacro %}

{#- after_date < local date of the naive UTC timestamp ts <= through_date, as bounds on ts
    itself: the UTC instants of the local midnights after after_date and after through_date are
    computed once instead of converting every row's timestamp (the same rows: local date <= D
    exactly when ts is before local midnight of D + 1). -#}
{% macro segmentation_local_date_within(ts, after_date, through_date, tz=none) -%}
    {%- set zone = tz or var('reporting_timezone', 'Asia/Shanghai') -%}
    {{ ts }} >= {{ segmentation_local_midnight_utc(dbt.dateadd('day', 1, after_date), zone) }}
    and {{ ts }} < {{ segmentation_local_midnight_utc(dbt.dateadd('day', 1, through_date), zone) }}
{%- endmacro %}

{#- Naive UTC timestamp of the local midnight that starts date d in zone tz. -#}
{% macro segmentation_local_midnight_utc(d, tz) -%}
    {{ return(adapter.dispatch('segmentation_local_midnight_utc', 'marketing_lakehouse')(d, tz)) }}
{%- endmacro %}

{% macro default__segmentation_local_midnight_utc(d, tz) -%}
    cast((cast(cast({{ d }} as date) as timestamp) at time zone '{{ tz }}') at time zone 'UTC' as timestamp)
{%- endmacro %}

{% macro spark__segmentation_local_midnight_utc(d, tz) -%}
    to_utc_timestamp(cast(cast({{ d }} as date) as timestamp), '{{ tz }}')
{%- endmacro %}

{#- lhs <op> rhs where op is a column holding one of <=, <, >=, > (from a seed). -#}
{% macro segmentation_compare(lhs, op, rhs) -%}
    (case {{ op }}
        when '<=' then {{ lhs }} <= {{ rhs }}
        when '<' then {{ lhs }} < {{ rhs }}
        when '>=' then {{ lhs }} >= {{ rhs }}
        when '>' then {{ lhs }} > {{ rhs }}
    end)
{%- endmacro %}

{#- numerator / denominator rounded half-up to `scale` decimals, exactly, for non-negative
    integer expressions and a positive denominator: floor((2 * n * 10^scale + d) / (2 * d)) / 10^scale.
    The same on every engine (no double or engine-scaled decimal is rounded at the half). -#}
{% macro segmentation_ratio_half_up(numerator, denominator, scale) -%}
    (floor((2 * cast({{ numerator }} as bigint) * {{ 10 ** scale }} + {{ denominator }}) / (2.0 * {{ denominator }})) / {{ 10 ** scale }})
{%- endmacro %}

{#- Money as text with two decimals, e.g. 740.00 (decimal(18,2) casts keep the scale). -#}
{% macro segmentation_money_text(expr) -%}
    cast(cast({{ expr }} as decimal(18, 2)) as {{ dbt.type_string() }})
{%- endmacro %}

{#- Date range of customer_state_daily for this run, as SQL DATE expressions {start, end}.
    Explicit vars state_start_date / state_end_date ('YYYY-MM-DD') win (backfills). Otherwise the
    range ends at the as-of date and covers var state_history_days (default 90) days on a full
    build, or var state_recompute_days (default: project var incremental_lookback_days, 7) on an
    incremental run. -#}
{% macro segmentation_state_date_range() -%}
    {%- set end_var = var('state_end_date', none) -%}
    {%- set start_var = var('state_start_date', none) -%}
    {%- set end_sql = "cast('" ~ end_var ~ "' as date)" if end_var else segmentation_as_of_date() -%}
    {%- if start_var -%}
        {%- set start_sql = "cast('" ~ start_var ~ "' as date)" -%}
    {%- else -%}
        {%- if is_incremental() -%}
            {%- set n_days = var('state_recompute_days', var('incremental_lookback_days', 7)) | int -%}
        {%- else -%}
            {%- set n_days = var('state_history_days', 90) | int -%}
        {%- endif -%}
        {%- set start_sql = "cast(" ~ dbt.dateadd('day', -(n_days - 1), end_sql) ~ " as date)" -%}
    {%- endif -%}
    {{ return({'start': start_sql, 'end': end_sql}) }}
{%- endmacro %}

{#- Backfill range of customer_state_daily for customers new to the table, as SQL DATE
    expressions {start, end}: from the history start (end of this run's range minus
    var state_history_days - 1) to the day before this run's range starts. Empty (start > end)
    when the run's range already reaches the history start. Only meaningful on an incremental
    run; returns none otherwise. -#}
{% macro segmentation_state_backfill_range() -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set range = segmentation_state_date_range() -%}
    {%- set n_days = var('state_history_days', 90) | int -%}
    {%- set start_sql = "cast(" ~ dbt.dateadd('day', -(n_days - 1), range.end) ~ " as date)" -%}
    {%- set end_sql = "cast(" ~ dbt.dateadd('day', -1, range.start) ~ " as date)" -%}
    {{ return({'start': start_sql, 'end': end_sql}) }}
{%- endmacro %}

{#- The valid_until of an interval that has not ended. A date, not NULL: an "or ... is null" in
    an outer join's condition leaves DuckDB only a nested-loop join. -#}
{% macro segmentation_open_end() -%}
    cast('9999-12-31' as date)
{%- endmacro %}
