{#- Every experiment of seed experiment_variants has exactly one control and designed shares
    that sum to 1 (within rounding). A returned row is an experiment whose design is broken. -#}
select
    experiment_id,
    sum(case when is_control then 1 else 0 end) as controls,
    sum(design_share) as total_share
from {{ ref('experiment_variants') }}
group by experiment_id
having sum(case when is_control then 1 else 0 end) <> 1
    or abs(sum(design_share) - 1) > 0.0001
