"""Business Logic: what the domain rules reject, how workflows move, and how often operations succeed.

Validation failures show which inputs clients get wrong; rule violations and workflow transitions show the
domain at work; the success-rate trend is the business-level health signal.
"""

from catalog import business_operations, rule_violations, validation_failures, workflow_transitions

from monitoring_dsl import (
    Dashboard,
    Heatmap,
    Link,
    PieChart,
    Row,
    Stat,
    Table,
    Target,
    Threshold,
    TimeSeries,
)

SUCCESS_RATE = f"{business_operations.rate(outcome='success')} / {business_operations.rate()}"
SUCCESS_THRESHOLDS = [Threshold("red"), Threshold("orange", 0.95), Threshold("green", 0.99)]

business = Dashboard(
    "Business Logic",
    uid="business-logic",
    description="Validation failures, business rule violations, workflow transitions and operation success.",
    tags=["business"],
    links=[Link("System Overview", dashboard="system-overview")],
    rows=[
        Row("Success", [
            Stat("Success rate now", SUCCESS_RATE, unit="percentunit", decimals=2,
                 thresholds=SUCCESS_THRESHOLDS),
            TimeSeries("Success rate trend", Target(SUCCESS_RATE, legend="success rate"),
                       description="Share of business operations that succeeded.",
                       unit="percentunit", max=1, thresholds=SUCCESS_THRESHOLDS),
            TimeSeries("Operations by outcome",
                       Target(business_operations.rate(by=["operation", "outcome"]),
                              legend="{{operation}} {{outcome}}"),
                       unit="ops", min=0),
        ]),
        Row("Validation", [
            TimeSeries("Validation failures by entity and field",
                       Target(validation_failures.rate(by=["entity", "field"]),
                              legend="{{entity}}.{{field}}"),
                       unit="ops", stacking="normal"),
            PieChart("Failure distribution by entity",
                     Target(validation_failures.increase("$__range", by=["entity"]), legend="{{entity}}",
                            instant=True),
                     description="Validation failures over the dashboard's time range, by entity.",
                     unit="short", pie_type="donut"),
            Heatmap("Validation failures by hour",
                    Target(validation_failures.increase("1h", by=["entity"]), legend="{{entity}}",
                           interval="1h"),
                    description="Failures per entity in each hour: one row per entity, one column per hour.",
                    unit="short"),
        ]),
        Row("Rules and workflows", [
            TimeSeries("Rule violations by type",
                       Target(rule_violations.rate(by=["rule_type"]), legend="{{rule_type}}"),
                       unit="ops", stacking="normal"),
            TimeSeries("Workflow transitions",
                       Target(workflow_transitions.rate(by=["workflow", "from_state", "to_state"]),
                              legend="{{workflow}}: {{from_state}} → {{to_state}}"),
                       unit="ops"),
            Table("Transitions over the time range",
                  Target(workflow_transitions.increase("$__range", by=["workflow", "from_state", "to_state"]),
                         instant=True, format="table"),
                  unit="short", sort_by="Value"),
        ]),
    ],
)
