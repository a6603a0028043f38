{#- Regions: any of province code (440000), city/county code (440300 -> first two digits + 0000),
    full Chinese name (广东省), short name (广东) or English name (Guangdong, any case) maps to the
    6-digit province code. Names come from seed region_codes; extra spellings (pinyin variants,
    abbreviations) from seed region_aliases. Unknown -> NULL (kept, counted by the warn test
    tests/singular/staging/warn_unmapped_regions.sql). -#}

{#- region_key(expr): the lookup key for a cleaned region value. -#}
{% macro region_key(expr) -%}
    (case
        when {{ regex_full_match(expr, '[1-9][0-9]{5}') }}
            then {{ dbt.concat(['substr(' ~ expr ~ ', 1, 2)', "'0000'"]) }}
        else lower({{ expr }})
    end)
{%- endmacro %}

{#- region_lookup(): subquery with one row per (alias_key, region_code); alias keys are unique. -#}
{% macro region_lookup() -%}
    select distinct alias_key, region_code from (
        select lower(cast(region_code as {{ dbt.type_string() }})) as alias_key, cast(region_code as {{ dbt.type_string() }}) as region_code from {{ ref('region_codes') }}
        union all
        select lower(name_zh), cast(region_code as {{ dbt.type_string() }}) from {{ ref('region_codes') }}
        union all
        select lower(short_zh), cast(region_code as {{ dbt.type_string() }}) from {{ ref('region_codes') }}
        union all
        select lower(name_en), cast(region_code as {{ dbt.type_string() }}) from {{ ref('region_codes') }}
        union all
        select lower(alias), cast(region_code as {{ dbt.type_string() }}) from {{ ref('region_aliases') }}
    ) as region_alias_keys
{%- endmacro %}
