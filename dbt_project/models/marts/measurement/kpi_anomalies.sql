{#- KPI anomalies: one row per KPI x dimension x value x day of kpi_daily that has a full
    seasonal baseline (the same weekday in each of the previous anomaly_baseline_weeks weeks).
    baseline = median of those values; spread = the largest of 1.4826 x their median absolute
    deviation from the baseline (robust sd), anomaly_min_relative_spread x |baseline|, and
    noise_factor x |baseline| / sqrt(baseline volume) (counting noise of a value resting on that
    many events; noise_factor per KPI in seed kpi_anomaly_rules);
    z = (value - baseline) / spread. Flagged when |z| >= anomaly_z_threshold and the baseline
    volume reaches anomaly_min_baseline_volume (sums without a volume, such as spend, are always
    judged) and the KPI is monitored (kpi_anomaly_rules.is_monitored). A flagged row names the drill-down: the non-overall row of the same KPI and day
    with the largest |z| (the channel / platform / slot / item that moved most). -#}

{%- set weeks = measurement_parameter('anomaly_baseline_weeks') %}

with kpis as (

    select kpi_date, kpi, dimension, dimension_value, value, volume
    from {{ ref('kpi_daily') }}
    where value is not null

),

history as (

    select
        k.kpi_date,
        k.kpi,
        k.dimension,
        k.dimension_value,
        h.value as past_value,
        h.volume as past_volume
    from kpis as k
    inner join kpis as h
        on h.kpi = k.kpi
        and h.dimension = k.dimension
        and h.dimension_value = k.dimension_value
        and h.kpi_date < k.kpi_date
        and {{ dbt.datediff('h.kpi_date', 'k.kpi_date', 'day') }} <= 7 * {{ weeks }}  -- noqa: LT05
        and mod({{ dbt.datediff('h.kpi_date', 'k.kpi_date', 'day') }}, 7) = 0

),

baselines as (

    select
        kpi_date,
        kpi,
        dimension,
        dimension_value,
        count(*) as weeks_seen,
        {{ measurement_median('past_value') }} as baseline,
        {{ measurement_median('past_volume') }} as baseline_volume
    from history
    group by kpi_date, kpi, dimension, dimension_value

),

deviations as (

    select
        b.kpi_date,
        b.kpi,
        b.dimension,
        b.dimension_value,
        {{ measurement_median('abs(h.past_value - b.baseline)') }} as mad
    from baselines as b
    inner join history as h
        on h.kpi_date = b.kpi_date
        and h.kpi = b.kpi
        and h.dimension = b.dimension
        and h.dimension_value = b.dimension_value
    group by b.kpi_date, b.kpi, b.dimension, b.dimension_value

),

scored as (

    select
        k.kpi_date,
        k.kpi,
        k.dimension,
        k.dimension_value,
        k.value,
        k.volume,
        b.baseline,
        b.baseline_volume,
        r.is_monitored,
        greatest(
            1.4826 * d.mad,
            {{ measurement_parameter('anomaly_min_relative_spread', 'double') }} * abs(b.baseline),
            case
                when b.baseline_volume > 0
                    then r.noise_factor * abs(b.baseline) / sqrt(b.baseline_volume)
                else 0
            end
        ) as spread
    from kpis as k
    inner join baselines as b
        on b.kpi_date = k.kpi_date
        and b.kpi = k.kpi
        and b.dimension = k.dimension
        and b.dimension_value = k.dimension_value
    inner join {{ ref('kpi_anomaly_rules') }} as r on r.kpi = k.kpi
    inner join deviations as d
        on d.kpi_date = k.kpi_date
        and d.kpi = k.kpi
        and d.dimension = k.dimension
        and d.dimension_value = k.dimension_value
    where b.weeks_seen = {{ weeks }}

),

flagged as (

    select
        s.*,
        case when s.spread > 0 then (s.value - s.baseline) / s.spread end as z_score,
        case
            when s.is_monitored
                and s.spread > 0
                and abs(s.value - s.baseline) / s.spread >= {{ measurement_parameter('anomaly_z_threshold', 'double') }}
                and (
                    s.baseline_volume is null
                    or s.baseline_volume >= {{ measurement_parameter('anomaly_min_baseline_volume', 'double') }}
                )
                then true
            else false
        end as is_anomaly
    from scored as s

),

movers as (

    select
        kpi_date,
        kpi,
        dimension,
        dimension_value,
        z_score,
        row_number() over (
            partition by kpi_date, kpi
            order by abs(z_score) desc, dimension asc, dimension_value asc
        ) as mover_rank
    from flagged
    where dimension <> 'overall' and z_score is not null

)

select
    cast(f.kpi_date as date) as kpi_date,
    cast(f.kpi as {{ dbt.type_string() }}) as kpi,
    cast(f.dimension as {{ dbt.type_string() }}) as dimension,
    cast(f.dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(f.value as double) as value,
    cast(f.baseline as double) as baseline,
    cast(f.spread as double) as spread,
    cast(f.z_score as double) as z_score,
    cast(f.volume as bigint) as volume,
    cast(f.baseline_volume as double) as baseline_volume,
    cast(f.is_anomaly as boolean) as is_anomaly,
    cast(case when f.is_anomaly then m.dimension end as {{ dbt.type_string() }}) as drilldown_dimension,
    cast(case when f.is_anomaly then m.dimension_value end as {{ dbt.type_string() }}) as drilldown_value,
    cast(case when f.is_anomaly then m.z_score end as double) as drilldown_z_score
from flagged as f
left join movers as m
    on m.kpi_date = f.kpi_date and m.kpi = f.kpi and m.mover_rank = 1
