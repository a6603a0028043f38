{#- Every audience's members before holdout, one row per (audience_code, customer_id,
    offer_code): the union of the models named in seed audience_definitions. The mapping
    audience_code -> (model, filter) lives here because dbt needs its refs at parse time; a
    test checks it agrees with the seed both ways. Anonymous rows (customer_id NULL) cannot be
    exported as hashed ids and are left out. -#}

{%- set audience_sources = activation_audience_sources() %}

with candidates as (

    {%- for code, source in audience_sources.items() %}
    select
        '{{ code }}' as audience_code,
        src.customer_id,
        src.as_of_date,
        src.offer_code
    from {{ ref(source['model']) }} as src
    where src.customer_id is not null
    {%- if source.get('filter') %}
      and ({{ source['filter'] }})
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select distinct
    cast(audience_code as {{ dbt.type_string() }}) as audience_code,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(as_of_date as date) as as_of_date,
    cast(offer_code as {{ dbt.type_string() }}) as offer_code
from candidates
