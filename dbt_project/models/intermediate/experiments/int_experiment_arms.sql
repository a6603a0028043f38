{#- One row per experiment and variant seen in the assignments: control flag and designed
    share from seed experiment_variants; an experiment the seed does not describe gets an equal
    split and the variant named `control` as its control (docs/measurement/experiments.md). -#}
with delivered as (
    select distinct
        experiment_id,
        variant
    from {{ ref('stg_experiments__assignments') }}
),

variants_per_experiment as (
    select
        experiment_id,
        count(*) as variants
    from delivered
    group by experiment_id
),

declared as (
    select distinct experiment_id
    from {{ ref('experiment_variants') }}
)

select
    cast(d.experiment_id as {{ dbt.type_string() }}) as experiment_id,
    cast(d.variant as {{ dbt.type_string() }}) as variant,
    cast(
        case
            when dc.experiment_id is not null then coalesce(ev.is_control, false)
            else d.variant = 'control'
        end as boolean
    ) as is_control,
    cast(
        case
            when dc.experiment_id is not null then coalesce(ev.design_share, 0)
            else 1.0 / vpe.variants
        end as double
    ) as design_share,
    cast(dc.experiment_id is not null as boolean) as is_design_declared
from delivered as d
inner join variants_per_experiment as vpe on vpe.experiment_id = d.experiment_id
left join declared as dc on dc.experiment_id = d.experiment_id
left join {{ ref('experiment_variants') }} as ev
    on ev.experiment_id = d.experiment_id and ev.variant = d.variant
