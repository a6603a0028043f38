{#- One staging pipeline for every raw entity, driven by a spec (macros/staging/specs/*.sql):

      raw row --clean/type/normalise/hash--> typed row + _reject_reason
        _reject_reason is NULL     -> candidate for the staged model (then deduplicated on key)
        _reject_reason is not NULL -> quarantine_<source> (one reason: the first failed check)

    so, per entity:  raw rows = staged rows + quarantined rows + duplicates removed
    (tests/singular/staging/assert_staging_reconciles_with_raw.sql).

    Validation, in order: required column missing/empty; (POS) store unknown so no zone;
    present but unparseable timestamp/date/number; present but unknown enum value or gender;
    present but invalid phone/e-mail/national ID; negative amount where amounts can't be negative.
    An unmapped region is NOT a rejection: region_code is NULL and the warn test counts it.

    Personal data never leaves this query in clear: phone/email/national_id columns are
    normalised and replaced by pii_hash(...) here; the clear values exist only inside the CTEs. -#}

{#- stg_column(name, kind, src, required, values, nonneg): one output column of a spec.
    kind: text | enum | ts | date | money | int | number | phone | email | national_id | gender | region
          | pseudonym (an identifier that is personal but has no format to check, e.g. a WeChat
            openid: trimmed, then keyed-hashed like a phone) -#}
{% macro stg_column(name, kind='text', src=none, required=false, values=none, nonneg=false) -%}
    {{ return({'name': name, 'kind': kind, 'src': src or name, 'required': required,
               'values': values or [], 'nonneg': nonneg}) }}
{%- endmacro %}

{% macro _parse_expr(c, v, tz) -%}
    {%- if c.kind == 'enum' -%} lower({{ v }})
    {%- elif c.kind == 'ts' -%} {{ to_utc(v, tz) }}
    {%- elif c.kind == 'date' -%} {{ to_date_safe(v) }}
    {%- elif c.kind == 'money' -%} {{ to_money(v) }}
    {%- elif c.kind == 'int' -%} {{ to_int(v) }}
    {%- elif c.kind == 'number' -%} {{ to_number(v) }}
    {%- elif c.kind == 'phone' -%} {{ pii_hash(normalise_phone_e164(v)) }}
    {%- elif c.kind == 'email' -%} {{ pii_hash(normalise_email(v)) }}
    {%- elif c.kind == 'national_id' -%} {{ pii_hash(normalise_national_id(v)) }}
    {%- elif c.kind == 'pseudonym' -%} {{ pii_hash(v) }}
    {%- elif c.kind == 'gender' -%} {{ normalise_gender(v) }}
    {%- elif c.kind == 'region' -%} _r_{{ c.name }}
    {%- else -%} {{ v }}
    {%- endif -%}
{%- endmacro %}

{#- Boolean SQL: value present but not acceptable, with the reason's verb. -#}
{% macro _bad_check(c, v) -%}
    {%- if c.kind == 'enum' -%}
        {{ return(("lower(" ~ v ~ ") not in ('" ~ c['values'] | join("', '") ~ "')", 'unknown')) }}
    {%- elif c.kind == 'phone' -%} {{ return((normalise_phone_e164(v) ~ ' is null', 'invalid')) }}
    {%- elif c.kind == 'email' -%} {{ return((normalise_email(v) ~ ' is null', 'invalid')) }}
    {%- elif c.kind == 'national_id' -%} {{ return((normalise_national_id(v) ~ ' is null', 'invalid')) }}
    {%- elif c.kind == 'gender' -%} {{ return((normalise_gender(v) ~ ' is null', 'unknown')) }}
    {%- elif c.kind in ('ts', 'date', 'money', 'int', 'number') -%} {{ return((c.name ~ ' is null', 'unparseable')) }}
    {%- else -%} {{ return(none) }}
    {%- endif -%}
{%- endmacro %}

{#- staging_select(raw, spec, where, stores): the typed, hashed, validated rows of one raw
    relation. raw: source(...) relation; where: SQL on alias r (e.g. incremental filter);
    stores: ref('stores') for store-local entities (zone per store_id). -#}
{% macro staging_select(raw, spec, where=none, stores=none) -%}
{%- set cols = spec.columns -%}
{%- set region_cols = cols | selectattr('kind', 'equalto', 'region') | list -%}
{%- set has_ts = (cols | selectattr('kind', 'equalto', 'ts') | list | length) > 0 -%}
{%- set tz = '_tz' if stores is not none else (source_tz(spec.source) if has_ts else 'null') -%}
with _l1 as (
    select
    {%- for c in cols %}
        {{ clean_text('r.' ~ c.src) }} as _c_{{ c.name }},
    {%- endfor %}
    {%- for c in region_cols %}
        _reg{{ loop.index }}.region_code as _r_{{ c.name }},
    {%- endfor %}
    {%- if stores is not none %}
        _st.timezone as _tz,
    {%- endif %}
        r._source_file,
        r._line_number,
        r._loaded_at
    from {{ raw }} as r
    {%- if stores is not none %}
    left join {{ stores }} as _st
        on cast(_st.store_id as {{ dbt.type_string() }}) = {{ clean_text('r.store_id') }}
    {%- endif %}
    {%- for c in region_cols %}
    left join ({{ region_lookup() }}) as _reg{{ loop.index }}
        on _reg{{ loop.index }}.alias_key = {{ region_key(clean_text('r.' ~ c.src)) }}
    {%- endfor %}
    where {{ where or '1 = 1' }}
),

_l2 as (
    select
    {%- for c in cols %}
        {{ _parse_expr(c, '_c_' ~ c.name, tz) }} as {{ c.name }},
        _c_{{ c.name }},
    {%- endfor %}
    {%- if stores is not none %}
        _tz,
    {%- endif %}
        _source_file,
        _line_number,
        _loaded_at
    from _l1
)

select
{%- for c in cols %}
    {{ c.name }},
{%- endfor %}
    {%- if stores is not none %}
    _tz,
    {%- endif %}
    _source_file,
    _line_number,
    _loaded_at,
    {%- set key_parts = [] -%}
    {%- for k in spec.key -%}
        {%- set kc = (cols | selectattr('name', 'equalto', k) | first) -%}
        {%- if key_parts | length > 0 %}{% do key_parts.append("'|'") %}{% endif -%}
        {%- if kc.kind in ('phone', 'email', 'national_id', 'pseudonym') -%}
            {%- do key_parts.append("coalesce(" ~ k ~ ", '')") -%}
        {%- else -%}
            {%- do key_parts.append("coalesce(_c_" ~ k ~ ", '')") -%}
        {%- endif -%}
    {%- endfor %}
    {{ dbt.concat(key_parts) if key_parts | length > 1 else key_parts[0] }} as _record_key,
    case
    {%- for c in cols if c.required %}
        when _c_{{ c.name }} is null then 'missing {{ c.src }}'
    {%- endfor %}
    {%- if stores is not none %}
        when _tz is null then 'unknown store_id (no timezone)'
    {%- endif %}
    {%- for c in cols %}
        {%- set bad = _bad_check(c, '_c_' ~ c.name) %}
        {%- if bad %}
        when _c_{{ c.name }} is not null and {{ bad[0] }} then '{{ bad[1] }} {{ c.src }}'
        {%- endif %}
    {%- endfor %}
    {%- for c in cols if c.nonneg %}
        when {{ c.name }} < 0 then 'negative {{ c.src }}'
    {%- endfor %}
    end as _reject_reason
from _l2
{%- endmacro %}

{#- dedupe_valid(typed_cte, spec): valid rows only, one per key, winner by spec.order_by.
    In an incremental run that read only newly landed rows, a batch winner replaces the staged
    row of its key only if it ranks before it by spec.order_by, as it would in a full build: the
    lookback margin re-reads older landing runs but not the newest one already staged, so
    without this check an older copy in the margin could replace a newer staged one. -#}
{% macro dedupe_valid(typed_cte, spec) -%}
    select *
    from (
        select
            {{ typed_cte }}.*,
            row_number() over (
                partition by {{ spec.key | join(', ') }}
                order by {{ spec.order_by }}
            ) as _dedupe_rank
        from {{ typed_cte }}
        where _reject_reason is null
    ) as ranked
    where _dedupe_rank = 1
    {#- is_incremental() needs `this`, which unit tests of table models lack: ask only
        incremental models -#}
    {%- if config.get('materialized') == 'incremental' and is_incremental()
          and incremental_reads_new_rows_only() %}
        and not exists (
            select 1
            from {{ this }} as _staged
            where {% for k in spec.key %}_staged.{{ k }} = ranked.{{ k }} and {% endfor -%}
                not ({{ ranks_before('ranked', '_staged', spec.order_by) }})
        )
    {%- endif %}
{%- endmacro %}

{#- ranks_before(a, b, order_by): SQL that is true when row a sorts strictly before row b by
    order_by ("col [asc|desc], ..."; columns not null), e.g. for "x desc, y asc":
    a.x > b.x or (a.x = b.x and a.y < b.y). -#}
{% macro ranks_before(a, b, order_by) -%}
    {%- set terms = [] -%}
    {%- for part in order_by.split(',') -%}
        {%- set words = part.strip().split() -%}
        {%- do terms.append((words[0], '>' if (words | length > 1 and words[1] | lower == 'desc') else '<')) -%}
    {%- endfor -%}
    {%- for i in range(terms | length) -%}
        {%- if not loop.first %} or {% endif -%}
        ({%- for j in range(i) -%}{{ a }}.{{ terms[j][0] }} = {{ b }}.{{ terms[j][0] }} and {% endfor -%}
        {{ a }}.{{ terms[i][0] }} {{ terms[i][1] }} {{ b }}.{{ terms[i][0] }})
    {%- endfor -%}
{%- endmacro %}

{#- quarantine_select(raw, spec, stores): rejected rows of one entity, no personal data. In an
    incremental quarantine model (quarantine_incremental_config) only the raw rows landed since its
    last run are read (quarantine_lookback_filter); in a table model, all of them. -#}
{% macro quarantine_select(raw, spec, stores=none) -%}
    select
        cast('{{ spec.entity }}' as {{ dbt.type_string() }}) as entity,
        _source_file,
        _line_number,
        _record_key as record_key,
        _reject_reason as reason,
        _loaded_at
    from (
        {{ staging_select(raw, spec, where=quarantine_lookback_filter('r._loaded_at'), stores=stores) }}
    ) as typed
    where _reject_reason is not null
{%- endmacro %}

{#- Config of a quarantine model that reads only newly landed raw rows: whether a raw row is
    rejected depends on that row alone (and on seeds: after a seed change rebuild with
    --full-refresh, as for staging), so each landing run's rejects are appended once. A raw row
    is (file, line, landing run); re-reading the lookback margin replaces the same rows. -#}
{% macro quarantine_incremental_config() -%}
    {{ config(
        schema='quarantine',
        materialized='incremental',
        unique_key=['_source_file', '_line_number', '_loaded_at'],
        incremental_strategy=replace_rows_strategy(),
        on_schema_change='append_new_columns',
        post_hook=["{{ record_quarantine_watermark() }}"]
    ) }}
{%- endmacro %}

{#- Config of a staged model that reads only newly landed raw rows (staging_select's where=
    incremental_lookback_filter('r._loaded_at')): rows are replaced on the spec's key, so a late
    copy of a record replaces the staged one when it ranks before it (dedupe_valid). -#}
{% macro staging_incremental_config(spec) -%}
    {{ config(
        materialized='incremental',
        unique_key=spec.key[0] if spec.key | length == 1 else spec.key,
        incremental_strategy=replace_rows_strategy(),
        on_schema_change='append_new_columns'
    ) }}
{%- endmacro %}
