{#- keyed_hash: every non-NULL value is 64 lower-case hex characters (an HMAC-SHA256 digest),
    i.e. no clear personal data slipped through where a *_hash column is expected. -#}
{% test keyed_hash(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not {{ regex_full_match(column_name, '[0-9a-f]{64}') }}
{% endtest %}
