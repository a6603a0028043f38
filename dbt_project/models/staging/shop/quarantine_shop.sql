{{ quarantine_incremental_config() }}
{{ quarantine_select(source('shop', 'orders'), spec_shop__orders()) }}
union all
{{ quarantine_select(source('shop', 'order_items'), spec_shop__order_items()) }}
union all
{{ quarantine_select(source('shop', 'payments'), spec_shop__payments()) }}
union all
{{ quarantine_select(source('shop', 'refunds'), spec_shop__refunds()) }}
