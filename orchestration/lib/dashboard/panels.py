"""The dashboard's panels: one registry entry each (mart tables -> SQL on the serving copy -> view).

A panel names the serving-copy tables its SQL reads (``tables``). When one of them is absent from
the published file the panel says so ("not built yet: marts.x") instead of disappearing, so a
mart that lands later (KPIs, anomalies, experiments, LTV) is one entry here and shows up by
itself after the next publish.

The SQL runs on the hardened read-only serving connection (DuckDB, main schema of catalog
``marts``); it never touches the live warehouse. Result columns are aliased to the names the
``columns`` tuple lists; every numeric column is shown formatted and carries its raw value in
``data-value`` (see templates/_panel.html), which is what the browser test compares.

Column names of marts built by other parts (experiments, KPIs, anomalies, LTV) are mapped in one
place each: ``EXPERIMENT_READOUT_COLUMNS``, ``EXPERIMENT_SRM_COLUMNS``, ``KPI_DAILY_COLUMNS``,
``KPI_ANOMALY_COLUMNS``, ``RETENTION_COLUMNS``, ``LTV_COLUMNS`` (dashboard name -> mart column);
the KPIs shown and their units in ``KPI_DAILY_KPIS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Value kinds: how a cell is formatted (formatting.py) and compared by the browser test.
KINDS = (
    "text",
    "date",
    "int",
    "cny",
    "pct",
    "signed_pct",
    "prob",
    "decimal",
    "number",
    "bool",
)


@dataclass(frozen=True)
class Column:
    name: str  # alias in the SQL result
    label_en: str
    label_zh: str = ""
    kind: str = "text"
    bar: bool = False  # draw an HTML bar scaled to the column's largest value

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class Panel:
    key: str
    title_en: str
    title_zh: str
    tables: tuple[str, ...]  # serving-copy tables the SQL reads
    sql: str
    columns: tuple[Column, ...]
    description: str
    row_key: str  # column that identifies a row (data-row-key)
    summary_sql: str | None = None  # one row of headline figures
    summary_columns: tuple[Column, ...] = field(default_factory=tuple)


def _select(mapping: dict[str, str], alias: str) -> str:
    """``alias.mart_col as dashboard_name, ...`` from a dashboard name -> mart column mapping."""
    return ",\n        ".join(f"{alias}.{src} as {dst}" for dst, src in mapping.items())


# Counted purchases, as in fct_orders' contract and the RFM marts: paid and not fully refunded.
COUNTED_ORDER = "status = 'paid' and not is_fully_refunded"

# ---- marts of other parts of issue 11 / 10: the column names, in one place each ------------------
# Checked against the branches that build them (branch `experiments`:
# models/marts/measurement/experiments/_experiments__models.yml and experiment_readouts.py; branch
# `kpis`: models/marts/measurement/_measurement__models.yml; branch `ltv`:
# models/marts/ltv/_ltv__models.yml). Dashboard name -> mart column.

# marts.experiment_readouts: one row per experiment x metric x treatment variant (against the
# control; no row for the control itself). ci_low / ci_high bound the ABSOLUTE lift
# (variant - control, in the metric's unit); relative_lift = absolute_lift / mean_control.
EXPERIMENT_READOUT_COLUMNS = {
    "experiment_id": "experiment_id",
    "metric": "metric",
    "variant": "variant",
    "control_variant": "control_variant",
    "units_variant": "units_variant",
    "units_control": "units_control",
    "mean_control": "mean_control",
    "mean_variant": "mean_variant",
    "lift": "relative_lift",
    "absolute_lift": "absolute_lift",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "p_value": "p_value",
    "prob_beat_control": "probability_to_beat_control",
    "cuped_p_value": "cuped_p_value",
}
# marts.experiment_srm_checks: one row per experiment (chi-square against the designed split).
EXPERIMENT_SRM_COLUMNS = {
    "experiment_id": "experiment_id",
    "srm_p_value": "p_value",
    "has_srm": "is_srm_flagged",
}
# marts.kpi_daily: long format, one row per local date x kpi x dimension x dimension_value; the
# whole-business row has dimension 'overall' and dimension_value 'all'.
KPI_DAILY_COLUMNS = {
    "kpi_date": "kpi_date",
    "kpi": "kpi",
    "dimension": "dimension",
    "dimension_value": "dimension_value",
    "value": "value",
}
KPI_OVERALL = ("overall", "all")  # (dimension, dimension_value) of the whole-business rows
# The KPIs shown (kpi_daily.kpi codes, in this order) with their unit: each becomes a column.
KPI_DAILY_KPIS: tuple[tuple[str, str, str, str], ...] = (
    # (kpi code, label en, label zh, kind)
    ("gmv_cny", "GMV (CNY)", "GMV 元", "cny"),
    ("orders", "Orders", "订单数", "int"),
    ("aov_cny", "AOV (CNY)", "客单价 元", "cny"),
    ("cvr", "CVR", "转化率", "pct"),
    ("ctr", "Rec. CTR", "推荐点击率", "pct"),
    ("rec_gmv_share", "GMV share from recs", "推荐GMV占比", "pct"),
    ("repurchase_rate", "Repurchase rate", "复购率", "pct"),
    ("new_customers", "New customers", "新客数", "int"),
    ("ad_spend_cny", "Ad spend (CNY)", "广告花费 元", "cny"),
    ("acquisition_cost_net_cny", "Acq. cost net of 1st-order profit (CNY)", "净获客成本 元", "cny"),
    ("nps", "NPS", "净推荐值", "decimal"),
)
# marts.kpi_anomalies: one row per kpi_daily row with a full seasonal baseline (flagged or not);
# a flagged row names the drill-down slice of the same KPI and day that moved most.
KPI_ANOMALY_COLUMNS = {
    "anomaly_date": "kpi_date",
    "kpi": "kpi",
    "dimension": "dimension",
    "dimension_value": "dimension_value",
    "observed": "value",
    "expected": "baseline",
    "z_score": "z_score",
    "is_anomaly": "is_anomaly",
    "drilldown_dimension": "drilldown_dimension",
    "drilldown_value": "drilldown_value",
    "drilldown_z_score": "drilldown_z_score",
}
# marts.retention_cohorts: one row per cohort week x acquisition channel ('all' = every channel).
RETENTION_COLUMNS = {
    "cohort_week_date": "cohort_week_date",
    "acquisition_channel": "acquisition_channel",
    "customers": "customers",
    "retention_7d_rate": "retention_7d_rate",
    "retention_30d_rate": "retention_30d_rate",
    "retention_90d_rate": "retention_90d_rate",
}
RETENTION_ALL_CHANNELS = "all"
# marts.customer_ltv: one row per customer with a counted purchase.
LTV_COLUMNS = {
    "customer_id": "customer_id",
    "p_alive": "p_alive",
    "predicted_value_cny": "predicted_value_1y_cny",
}


def _experiments_sql() -> str:
    return f"""
    with readouts as (
        select
        {_select(EXPERIMENT_READOUT_COLUMNS, "r")}
        from experiment_readouts as r
    ),
    srm as (
        select
        {_select(EXPERIMENT_SRM_COLUMNS, "s")}
        from experiment_srm_checks as s
    )
    select
        readouts.experiment_id || ' / ' || readouts.metric || ' / ' || readouts.variant as row_key,
        readouts.*,
        srm.srm_p_value,
        srm.has_srm
    from readouts
    left join srm on srm.experiment_id = readouts.experiment_id
    order by readouts.experiment_id, readouts.metric, readouts.variant
    """


def _kpi_sql() -> str:
    dimension, value = KPI_OVERALL
    pivot = ",\n        ".join(
        f"max(value) filter (where kpi = '{code}') as {code}" for code, *_ in KPI_DAILY_KPIS
    )
    return f"""
    with k as (
        select {_select(KPI_DAILY_COLUMNS, "d")}
        from kpi_daily as d
    ),
    overall as (
        select * from k where dimension = '{dimension}' and dimension_value = '{value}'
    )
    select
        cast(kpi_date as varchar) as row_key,
        {pivot}
    from overall
    where kpi_date > (select max(kpi_date) from overall) - interval 14 day
    group by kpi_date
    order by row_key desc
    """


def _anomaly_sql() -> str:
    return f"""
    with a as (select {_select(KPI_ANOMALY_COLUMNS, "x")} from kpi_anomalies as x)
    select
        anomaly_date || ' / ' || kpi || ' / ' || dimension || ' / ' || dimension_value as row_key,
        anomaly_date, kpi, dimension, dimension_value, observed, expected,
        observed / nullif(expected, 0) - 1 as deviation,
        z_score,
        drilldown_dimension || ': ' || drilldown_value as drilldown
    from a
    where is_anomaly
    order by anomaly_date desc, kpi, dimension, dimension_value
    """


def _retention_sql() -> str:
    return f"""
    with c as (select {_select(RETENTION_COLUMNS, "r")} from retention_cohorts as r)
    select
        cast(cohort_week_date as varchar) as row_key,
        customers,
        retention_7d_rate,
        retention_30d_rate,
        retention_90d_rate
    from c
    where acquisition_channel = '{RETENTION_ALL_CHANNELS}'
    order by row_key desc
    """


def _ltv_sql() -> str:
    return f"""
    with ltv as (select {_select(LTV_COLUMNS, "l")} from customer_ltv as l)
    select
        r.rfm_segment_code as row_key,
        min(r.rfm_segment_name_en) as name_en,
        min(r.rfm_segment_name_zh) as name_zh,
        count(*) as customers,
        avg(ltv.p_alive) as avg_p_alive,
        avg(ltv.predicted_value_cny) as avg_predicted_value_cny,
        sum(ltv.predicted_value_cny) as predicted_value_cny
    from ltv
    join customer_rfm as r on r.customer_id = ltv.customer_id
    group by r.rfm_segment_code
    order by predicted_value_cny desc, row_key
    """


PANELS: tuple[Panel, ...] = (
    Panel(
        key="segments",
        title_en="RFM segments and their GMV share",
        title_zh="RFM 客群与 GMV 占比",
        tables=("customer_rfm",),
        description=(
            "Customers per RFM segment as of the as-of date; GMV share = the segment's share of "
            "lifetime net spend (net of refunds) over all customers."
        ),
        row_key="row_key",
        sql="""
        select
            rfm_segment_code as row_key,
            min(rfm_segment_name_en) as name_en,
            min(rfm_segment_name_zh) as name_zh,
            count(*) as customers,
            count(*) / sum(count(*)) over () as customer_share,
            sum(net_spend_cny) as net_spend_cny,
            sum(net_spend_cny) / nullif(sum(sum(net_spend_cny)) over (), 0) as gmv_share,
            min(tactic_en) as tactic_en,
            min(tactic_zh) as tactic_zh
        from customer_rfm
        group by rfm_segment_code
        order by net_spend_cny desc, row_key
        """,
        columns=(
            Column("name_en", "Segment", "客群"),
            Column("name_zh", "客群名称"),
            Column("customers", "Customers", "人数", "int"),
            Column("customer_share", "Share of customers", "人数占比", "pct"),
            Column("net_spend_cny", "Net spend (CNY)", "净消费 元", "cny"),
            Column("gmv_share", "GMV share", "GMV 占比", "pct", bar=True),
            Column("tactic_en", "Tactic", "策略"),
            Column("tactic_zh", "策略"),
        ),
        summary_sql="""
        select min(as_of_date) as as_of_date, count(*) as customers,
               count(*) filter (where has_purchased) as purchasers,
               sum(net_spend_cny) as net_spend_cny
        from customer_rfm
        """,
        summary_columns=(
            Column("as_of_date", "As of", "截至", "date"),
            Column("customers", "Customers", "客户数", "int"),
            Column("purchasers", "Purchasers", "已购客户", "int"),
            Column("net_spend_cny", "Lifetime net spend (CNY)", "累计净消费 元", "cny"),
        ),
    ),
    Panel(
        key="lifecycle",
        title_en="Lifecycle stages",
        title_zh="生命周期阶段",
        tables=("customer_lifecycle",),
        description="Customers per lifecycle stage as of the as-of date, with the stage's tactic.",
        row_key="row_key",
        sql="""
        select
            lifecycle_stage as row_key,
            min(lifecycle_stage_name_en) as name_en,
            min(lifecycle_stage_name_zh) as name_zh,
            count(*) as customers,
            count(*) / sum(count(*)) over () as customer_share,
            avg(tenure_days) as avg_tenure_days,
            min(tactic_en) as tactic_en,
            min(tactic_zh) as tactic_zh
        from customer_lifecycle
        group by lifecycle_stage
        order by customers desc, row_key
        """,
        columns=(
            Column("name_en", "Stage", "阶段"),
            Column("name_zh", "阶段名称"),
            Column("customers", "Customers", "人数", "int"),
            Column("customer_share", "Share of customers", "人数占比", "pct", bar=True),
            Column("avg_tenure_days", "Avg tenure (days)", "平均在网天数", "decimal"),
            Column("tactic_en", "Tactic", "策略"),
            Column("tactic_zh", "策略"),
        ),
    ),
    Panel(
        key="tiers",
        title_en="Membership tiers",
        title_zh="会员等级",
        tables=("customer_membership_tiers",),
        description=(
            "Customers per tier (trailing-12-month net spend), their spend, and the average gap "
            "to the next tier."
        ),
        row_key="row_key",
        sql="""
        select
            tier as row_key,
            min(tier_rank) as tier_rank,
            min(tier_name_en) as name_en,
            min(tier_name_zh) as name_zh,
            count(*) as customers,
            count(*) / sum(count(*)) over () as customer_share,
            sum(trailing_12m_net_spend_cny) as trailing_12m_net_spend_cny,
            sum(trailing_12m_net_spend_cny)
                / nullif(sum(sum(trailing_12m_net_spend_cny)) over (), 0) as spend_share,
            avg(gap_to_next_tier_cny) as avg_gap_to_next_tier_cny
        from customer_membership_tiers
        group by tier
        order by tier_rank, row_key
        """,
        columns=(
            Column("name_en", "Tier", "等级"),
            Column("name_zh", "等级名称"),
            Column("customers", "Customers", "人数", "int"),
            Column("customer_share", "Share of customers", "人数占比", "pct"),
            Column(
                "trailing_12m_net_spend_cny", "12-month net spend (CNY)", "近12月消费 元", "cny"
            ),
            Column("spend_share", "Spend share", "消费占比", "pct", bar=True),
            Column(
                "avg_gap_to_next_tier_cny", "Avg gap to next tier (CNY)", "距升级差额 元", "cny"
            ),
        ),
    ),
    Panel(
        key="migration",
        title_en="Segment migration, latest month",
        title_zh="客群迁移（最近一个月）",
        tables=("segment_migration",),
        description=(
            "Customers who moved between states from the day before the latest month to its last "
            "day (or the latest day, if the month is not over), per dimension; stayers left out. "
            "Share = of the customers in the from-state at the opening snapshot."
        ),
        row_key="row_key",
        sql="""
        with latest as (
            select max(period_start) as period_start
            from segment_migration where period_type = 'month'
        )
        select
            m.dimension || ': ' || m.from_state || ' -> ' || m.to_state as row_key,
            m.period_start,
            m.closing_date,
            m.dimension,
            m.from_state,
            m.to_state,
            m.customers,
            m.share_of_from_state
        from segment_migration as m
        join latest on m.period_start = latest.period_start
        where m.period_type = 'month' and m.is_migration
        order by m.dimension, m.customers desc, m.from_state, m.to_state
        """,
        columns=(
            Column("period_start", "Month", "月份", "date"),
            Column("closing_date", "Closing snapshot", "期末快照", "date"),
            Column("dimension", "Dimension", "维度"),
            Column("from_state", "From", "迁出"),
            Column("to_state", "To", "迁入"),
            Column("customers", "Customers", "人数", "int"),
            Column("share_of_from_state", "Share of from-state", "占迁出人数比", "pct", bar=True),
        ),
    ),
    Panel(
        key="reactivation",
        title_en="Reactivation: dormant to active, by month",
        title_zh="沉睡唤醒率（按月）",
        tables=("segment_migration",),
        description=(
            "The brief's success metric: share of customers whose recency band was dormant at "
            "the opening snapshot and active at the closing snapshot of each month."
        ),
        row_key="row_key",
        sql="""
        select
            cast(period_start as varchar) as row_key,
            is_complete_period,
            from_state_customers as dormant_customers,
            customers as reactivated_customers,
            share_of_from_state as reactivation_rate
        from segment_migration
        where period_type = 'month' and dimension = 'recency_band'
          and from_state = 'dormant' and to_state = 'active'
        order by row_key
        """,
        columns=(
            Column("row_key", "Month", "月份", "date"),
            Column("is_complete_period", "Month complete", "整月", "bool"),
            Column("dormant_customers", "Dormant at start", "月初沉睡人数", "int"),
            Column("reactivated_customers", "Reactivated", "唤醒人数", "int"),
            Column("reactivation_rate", "Reactivation rate", "唤醒率", "pct", bar=True),
        ),
    ),
    Panel(
        key="sales_daily",
        title_en="Net sales per day, last 30 days",
        title_zh="近30天每日净销售额",
        tables=("fct_orders",),
        description=(
            "Counted orders (paid, not fully refunded), their net amount (after discounts and "
            "refunds) and average order value per local order date, for the 30 days up to the "
            "latest order date."
        ),
        row_key="row_key",
        sql=f"""
        select
            cast(order_date as varchar) as row_key,
            count(*) as orders,
            sum(net_amount_cny) as net_sales_cny,
            sum(net_amount_cny) / count(*) as aov_cny
        from fct_orders
        where {COUNTED_ORDER}
          and order_date > (select max(order_date) from fct_orders) - interval 30 day
        group by order_date
        order by row_key desc
        """,
        columns=(
            Column("row_key", "Date", "日期", "date"),
            Column("orders", "Orders", "订单数", "int"),
            Column("net_sales_cny", "Net sales (CNY)", "净销售额 元", "cny", bar=True),
            Column("aov_cny", "AOV (CNY)", "客单价 元", "cny"),
        ),
    ),
    Panel(
        key="sales_channels",
        title_en="Net sales by channel, last 30 days",
        title_zh="近30天分渠道净销售额",
        tables=("fct_orders",),
        description=(
            "Counted orders and net sales per sales channel (app, mini-program, web, Douyin shop, "
            "store) over the 30 days up to the latest order date."
        ),
        row_key="row_key",
        sql=f"""
        select
            coalesce(sales_channel, order_channel) as row_key,
            count(*) as orders,
            sum(net_amount_cny) as net_sales_cny,
            sum(net_amount_cny) / nullif(sum(sum(net_amount_cny)) over (), 0) as sales_share,
            sum(net_amount_cny) / count(*) as aov_cny
        from fct_orders
        where {COUNTED_ORDER}
          and order_date > (select max(order_date) from fct_orders) - interval 30 day
        group by coalesce(sales_channel, order_channel)
        order by net_sales_cny desc, row_key
        """,
        columns=(
            Column("row_key", "Channel", "渠道"),
            Column("orders", "Orders", "订单数", "int"),
            Column("net_sales_cny", "Net sales (CNY)", "净销售额 元", "cny"),
            Column("sales_share", "Share of net sales", "销售额占比", "pct", bar=True),
            Column("aov_cny", "AOV (CNY)", "客单价 元", "cny"),
        ),
    ),
    Panel(
        key="kpis",
        title_en="Daily KPIs, last 14 days",
        title_zh="每日核心指标（近14天）",
        tables=("kpi_daily",),
        description=(
            "Whole-business KPIs per local date (marts.kpi_daily, dimension 'overall'): GMV, "
            "orders, AOV, conversion rate of sessions, recommendation click-through rate, share "
            "of GMV from recommendations, repurchase rate, new customers, ad spend, acquisition "
            "cost net of first-order profit, NPS (promoters - detractors per 100 respondents). "
            "A blank cell: no base that day."
        ),
        row_key="row_key",
        sql=_kpi_sql(),
        columns=(
            Column("row_key", "Date", "日期", "date"),
            *(Column(code, en, zh, kind) for code, en, zh, kind in KPI_DAILY_KPIS),
        ),
    ),
    Panel(
        key="anomalies",
        title_en="KPI anomalies",
        title_zh="指标异常",
        tables=("kpi_anomalies",),
        description=(
            "Flagged KPI values: outside their seasonality-aware baseline (median of the same "
            "weekday in the previous weeks) by at least the z threshold. Deviation = observed / "
            "baseline - 1; drill-down = the channel / platform / slot / item / segment of the "
            "same KPI and day that moved most (marts.kpi_anomalies)."
        ),
        row_key="row_key",
        sql=_anomaly_sql(),
        columns=(
            Column("anomaly_date", "Date", "日期", "date"),
            Column("kpi", "KPI", "指标"),
            Column("dimension", "Dimension", "维度"),
            Column("dimension_value", "Slice", "取值"),
            Column("observed", "Observed", "实际值", "number"),
            Column("expected", "Baseline", "基线", "number"),
            Column("deviation", "Deviation", "偏离", "signed_pct"),
            Column("z_score", "z-score", "z 值", "decimal"),
            Column("drilldown", "Moved most", "主要变动来源"),
        ),
    ),
    Panel(
        key="retention",
        title_en="Retention by acquisition cohort week",
        title_zh="按首购周的留存率",
        tables=("retention_cohorts",),
        description=(
            "Customers whose first counted order fell in the week, and the share who ordered "
            "again within 7 / 30 / 90 days (of those observable that long; blank = not yet "
            "observable). All acquisition channels (marts.retention_cohorts)."
        ),
        row_key="row_key",
        sql=_retention_sql(),
        columns=(
            Column("row_key", "Cohort week", "首购周", "date"),
            Column("customers", "New buyers", "首购人数", "int"),
            Column("retention_7d_rate", "Retained 7 days", "7日留存", "pct"),
            Column("retention_30d_rate", "Retained 30 days", "30日留存", "pct", bar=True),
            Column("retention_90d_rate", "Retained 90 days", "90日留存", "pct"),
        ),
    ),
    Panel(
        key="experiments",
        title_en="A/B experiments",
        title_zh="A/B 实验",
        tables=("experiment_readouts", "experiment_srm_checks"),
        description=(
            "Per experiment, metric and treatment variant against control: means, relative lift, "
            "absolute lift with its confidence interval (in the metric's unit: a rate, or CNY "
            "per unit), p-value (plain and after CUPED), Bayesian probability to beat control, "
            "and the sample-ratio-mismatch check (an SRM makes the readout untrustworthy)."
        ),
        row_key="row_key",
        sql=_experiments_sql(),
        columns=(
            Column("experiment_id", "Experiment", "实验"),
            Column("metric", "Metric", "指标"),
            Column("variant", "Variant", "实验组"),
            Column("control_variant", "Control", "对照组"),
            Column("units_variant", "Units (variant)", "实验组样本", "int"),
            Column("units_control", "Units (control)", "对照组样本", "int"),
            Column("mean_variant", "Mean (variant)", "实验组均值", "number"),
            Column("mean_control", "Mean (control)", "对照组均值", "number"),
            Column("lift", "Relative lift", "相对提升", "signed_pct"),
            Column("absolute_lift", "Absolute lift", "绝对提升", "number"),
            Column("ci_low", "CI low (abs.)", "置信下限", "number"),
            Column("ci_high", "CI high (abs.)", "置信上限", "number"),
            Column("p_value", "p-value", "p 值", "prob"),
            Column("cuped_p_value", "p-value CUPED", "CUPED p 值", "prob"),
            Column("prob_beat_control", "P(beat control)", "胜出概率", "pct", bar=True),
            Column("has_srm", "SRM", "样本比例失衡", "bool"),
            Column("srm_p_value", "SRM p-value", "SRM p 值", "prob"),
        ),
    ),
    Panel(
        key="ltv",
        title_en="Predicted 1-year value by segment",
        title_zh="各客群预测一年价值",
        tables=("customer_ltv", "customer_rfm"),
        description="Average P(alive) and predicted 1-year value per RFM segment.",
        row_key="row_key",
        sql=_ltv_sql(),
        columns=(
            Column("row_key", "Segment code", "客群代码"),
            Column("name_en", "Segment", "客群"),
            Column("name_zh", "客群名称"),
            Column("customers", "Customers", "人数", "int"),
            Column("avg_p_alive", "Avg P(alive)", "平均存活概率", "pct"),
            Column("avg_predicted_value_cny", "Avg predicted value (CNY)", "人均预测 元", "cny"),
            Column(
                "predicted_value_cny", "Predicted value (CNY)", "预测总价值 元", "cny", bar=True
            ),
        ),
    ),
    Panel(
        key="audiences",
        title_en="Audiences, latest version",
        title_zh="人群包（最新版本）",
        tables=("audience_versions",),
        description=(
            "Each activation audience's latest snapshot: members, treatment and holdout "
            "customers, and offers added / removed since the previous version."
        ),
        row_key="row_key",
        sql="""
        select
            audience_code as row_key,
            description_en,
            description_zh,
            channel,
            snapshot_date,
            version_number,
            member_customers,
            treatment_customers,
            holdout_customers,
            added_offers,
            removed_offers
        from audience_versions
        qualify row_number() over (partition by audience_code order by version_number desc) = 1
        order by member_customers desc, row_key
        """,
        columns=(
            Column("row_key", "Audience", "人群包"),
            Column("description_en", "Description", "说明"),
            Column("description_zh", "说明"),
            Column("channel", "Channel", "触达渠道"),
            Column("snapshot_date", "Snapshot", "快照日期", "date"),
            Column("version_number", "Version", "版本", "int"),
            Column("member_customers", "Members", "人数", "int", bar=True),
            Column("treatment_customers", "Treatment", "实验组", "int"),
            Column("holdout_customers", "Holdout", "对照组", "int"),
            Column("added_offers", "Added", "新增", "int"),
            Column("removed_offers", "Removed", "移出", "int"),
        ),
    ),
)

PANELS_BY_KEY: dict[str, Panel] = {p.key: p for p in PANELS}
if len(PANELS_BY_KEY) != len(PANELS):
    raise ValueError("duplicate panel key")
