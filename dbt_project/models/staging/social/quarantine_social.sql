{{ config(schema='quarantine') }}
{{ quarantine_select(source('social', 'tags'), spec_social__tags()) }}
