{{ config(schema='quarantine') }}
{{ quarantine_select(source('logistics', 'shipments'), spec_logistics__shipments()) }}
