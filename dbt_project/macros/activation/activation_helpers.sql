{#- Helpers of the activation marts (issue 10). Engine-specific parts go through adapter.dispatch. -#}

{#- A parameter of a key/value seed (parameter, value) as a scalar subquery, cast to `type`. -#}
{% macro activation_parameter(seed_name, parameter, type='integer') -%}
    (select cast(ap.value as {{ type }}) from {{ ref(seed_name) }} as ap where ap.parameter = '{{ parameter }}')
{%- endmacro %}

{#- Stable bucket 0 .. buckets-1 of a text expression: the first 32 bits of its md5. The same
    input gives the same bucket on every run, engine and version (md5 is standardised), which
    is what makes audience holdouts persistent. -#}
{% macro activation_hash_bucket(expr, buckets) -%}
    {{ return(adapter.dispatch('activation_hash_bucket', 'marketing_lakehouse')(expr, buckets)) }}
{%- endmacro %}

{% macro default__activation_hash_bucket(expr, buckets) -%}
    (cast(conv(substr(md5({{ expr }}), 1, 8), 16, 10) as bigint) % {{ buckets }})
{%- endmacro %}

{% macro duckdb__activation_hash_bucket(expr, buckets) -%}
    (cast(cast('0x' || substr(md5({{ expr }}), 1, 8) as ubigint) as bigint) % {{ buckets }})
{%- endmacro %}

{#- Audience code -> the model listing its members and an optional filter on that model's
    columns. Seed audience_definitions describes each audience for marketing (channel, holdout,
    text); this is where its members come from. -#}
{% macro activation_audience_sources() -%}
    {{ return({
        'welcome_new_customers': {'model': 'welcome_benefits'},
        'tier_upgrade_nudge': {'model': 'tier_upgrade_nudges'},
        'cart_recall': {'model': 'cart_recalls', 'filter': 'src.is_in_recall_window'},
        'lookalike_seed': {'model': 'lookalike_seed_audience'},
        'home_complements': {'model': 'home_recommendations'},
        'checkout_addon': {'model': 'checkout_addon_suggestions'},
        'replenishment_reminder': {'model': 'replenishment_reminders'},
        'live_stream_invite': {'model': 'live_stream_invitations'},
    }) }}
{%- endmacro %}
