{#- Today's members of every audience, one row per (audience_code, customer_id, offer_code),
    with the audience's definition and the persistent holdout flag. A member is in the holdout
    when the bucket (0-99) of md5(salt | audience_code | customer_id) is below the audience's
    holdout_percent: the same customer stays in the same group of an audience on every run and
    every offer, and a change of holdout_percent only moves the customers whose bucket lies
    between the old and the new cut. var audience_holdout_salt re-draws every holdout at once
    (only when a test has ended). -#}

select
    cast(c.audience_code as {{ dbt.type_string() }}) as audience_code,
    cast(c.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(c.offer_code as {{ dbt.type_string() }}) as offer_code,
    cast(c.as_of_date as date) as snapshot_date,
    cast({{ activation_hash_bucket(
        "'" ~ var('audience_holdout_salt', 'v1') ~ "|' || c.audience_code || '|' || c.customer_id", 100) }}
        as integer) as holdout_bucket,
    cast(case when {{ activation_hash_bucket(
        "'" ~ var('audience_holdout_salt', 'v1') ~ "|' || c.audience_code || '|' || c.customer_id", 100) }}
        < d.holdout_percent then true else false end as boolean) as is_holdout,
    cast(d.channel as {{ dbt.type_string() }}) as channel
from {{ ref('int_audience_candidates') }} as c
inner join {{ ref('audience_definitions') }} as d on d.audience_code = c.audience_code
