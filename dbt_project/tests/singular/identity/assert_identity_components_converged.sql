-- Convergence of the unrolled min-label propagation (int_identity_components).
-- A returned row is an identifier whose label would still change with one more pass: the graph has
-- a path longer than var identity_max_iterations, so raise that var (customer ids would otherwise
-- split one person into several clusters).
with one_more_pass as (

    select e.identifier_key, min(c.component_label) as component_label
    from {{ ref('int_identity_graph_edges') }} as e
    inner join {{ ref('int_identity_components') }} as c on c.identifier_key = e.neighbour_key
    group by e.identifier_key

)

select c.identifier_key, c.component_label, p.component_label as label_after_one_more_pass
from {{ ref('int_identity_components') }} as c
inner join one_more_pass as p on p.identifier_key = c.identifier_key
where p.component_label <> c.component_label

{#- Shown in Dagster as an asset check on int_identity_components (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'int_identity_components'}}}) }}
