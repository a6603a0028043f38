-- Every customer in dim_customers, evaluated once as of the as-of date (var as_of_date, default
-- the latest order_date in fct_orders). The rules live in macros/segmentation and the seeds.
{{ segmentation_customer_states(
    "select " ~ segmentation_as_of_date() ~ " as eval_date",
    include_all_customers=true
) }}
