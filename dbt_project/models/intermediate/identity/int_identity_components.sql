{#- Connected components of the identity graph without recursion: min-label propagation unrolled
    in Jinja. Every node starts with its own key as label; each pass gives every node the smallest
    label among itself and its neighbours. After k passes a node carries the minimum key within k
    hops, so var identity_max_iterations (default 12) must exceed the longest shortest path in any
    component; the singular test assert_identity_components_converged fails if one more pass would
    still change a label. Each pass reads the previous one exactly once, so the plan grows linearly
    (no CTE re-expansion on engines that inline CTEs, e.g. Spark).
    One row per non-excluded identifier: identifier_key, component_label. -#}

{%- set iterations = var('identity_max_iterations', 12) | int %}

with edges as (

    select identifier_key, neighbour_key from {{ ref('int_identity_graph_edges') }}

),

labels_0 as (

    select distinct identifier_key, identifier_key as component_label
    from edges

),

{% for i in range(1, iterations + 1) %}
labels_{{ i }} as (

    select e.identifier_key, min(l.component_label) as component_label
    from edges as e
    inner join labels_{{ i - 1 }} as l on l.identifier_key = e.neighbour_key
    group by e.identifier_key

){{ "," if not loop.last }}
{% endfor %}

select identifier_key, component_label
from labels_{{ iterations }}
