{#- The replenishment audience of the as-of date (brief 4: "a reminder plus coupon 3 days before
    the next expected purchase"): one row per customer x category whose reminder is due
    (replenishment_predictions.replenishment_status = 'due': the as-of date is between
    reminder_date and reminder_end_date and no purchase of the category since the one the
    prediction is based on) in a category the seed enables, with the category's coupon. A
    purchase on or after the reminder date, online or offline, moves the prediction on to the
    next cycle and the customer leaves the audience. Audience `replenishment_reminder`. -#}

select
    cast(p.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(p.category as {{ dbt.type_string() }}) as category,
    cast(p.as_of_date as date) as as_of_date,
    cast(p.last_purchase_date as date) as last_purchase_date,
    cast(p.cycle_days as integer) as cycle_days,
    cast(p.predicted_next_date as date) as predicted_next_date,
    cast(p.reminder_date as date) as reminder_date,
    cast(p.reminder_end_date as date) as reminder_end_date,
    cast(p.days_until_predicted as integer) as days_until_predicted,
    cast(r.coupon_code as {{ dbt.type_string() }}) as coupon_code,
    cast(r.coupon_value_cny as decimal(18, 2)) as coupon_value_cny,
    cast(r.min_spend_cny as decimal(18, 2)) as min_spend_cny,
    cast(p.reminder_end_date as date) as coupon_valid_until_date,
    cast(r.message_en as {{ dbt.type_string() }}) as message_en,
    cast(r.message_zh as {{ dbt.type_string() }}) as message_zh,
    cast('replenish:' || p.category as {{ dbt.type_string() }}) as offer_code
from {{ ref('replenishment_predictions') }} as p
inner join {{ ref('replenishment_rules') }} as r on r.category = p.rule_category
where p.replenishment_status = 'due'
  and p.is_reminder_enabled
