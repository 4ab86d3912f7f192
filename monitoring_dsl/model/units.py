"""Units: what the numbers of a query measure, in one place.

`Quantity` describes a value (time, data, a fraction, a count or a bare number, its scale and whether it is a
rate); the tables map the unit suffixes of metric names, the `unit=` of declarations and Grafana's unit ids to
quantities; Grafana's unit ids, the words people write for them, and the unit words of metric name suffixes
are here too. The query walk (`monitoring_dsl.promql.values`) and the checks read them from here.
"""

from __future__ import annotations

import math
import re
from typing import Any

import attrs


@attrs.frozen
class Quantity:
    """What the numbers of a query measure.

    `dimension` is "time" (base: seconds), "data" (bytes), "fraction" (1 = the whole), "count" (events) or
    "number" (a bare literal). `scale` is the size of one unit of the value in the base unit (0.001 for
    milliseconds, 0.01 for percent). `per_second` marks rates. `bounds` is the unit of a histogram bucket's `le`.
    `series` names the series the unit came from and `inferred` says whether it came from a name.
    """

    dimension: str
    scale: float = 1.0
    per_second: bool = False
    bounds: Quantity | None = attrs.field(default=None, eq=False)
    series: tuple[str, ...] = attrs.field(default=(), eq=False)
    inferred: bool = attrs.field(default=False, eq=False)
    certain: bool = attrs.field(default=True, eq=False)

    def same(self, other: Quantity) -> bool:
        return (
            self.dimension == other.dimension
            and self.per_second == other.per_second
            and math.isclose(self.scale, other.scale, rel_tol=1e-6)
        )

    def with_(self, **changes: Any) -> Quantity:
        return attrs.evolve(self, **changes)


TIME, DATA, FRACTION, COUNT, NUMBER = "time", "data", "fraction", "count", "number"

# Unit suffixes of metric names (Prometheus's naming convention: base units, unit before `_total`).
NAME_UNITS: tuple[tuple[str, str, float], ...] = (
    ("_seconds", TIME, 1.0),
    ("_milliseconds", TIME, 1e-3),
    ("_microseconds", TIME, 1e-6),
    ("_nanoseconds", TIME, 1e-9),
    ("_ms", TIME, 1e-3),
    ("_bytes", DATA, 1.0),
    ("_bits", DATA, 0.125),
    ("_ratio", FRACTION, 1.0),
)
# The `unit=` of a declaration.
DECLARED_UNITS: dict[str, tuple[str, float]] = {
    "seconds": (TIME, 1.0),
    "s": (TIME, 1.0),
    "milliseconds": (TIME, 1e-3),
    "ms": (TIME, 1e-3),
    "microseconds": (TIME, 1e-6),
    "nanoseconds": (TIME, 1e-9),
    "bytes": (DATA, 1.0),
    "bits": (DATA, 0.125),
    "ratio": (FRACTION, 1.0),
    "percent": (FRACTION, 0.01),
}
# Words that betray a unit hidden in the middle of a counter's name (`bytes_in_total`, `io_time_total`): such a
# counter is not assumed to count events.
UNIT_IN_NAME_RE = re.compile(
    r"(^|_)(bytes?|octets|bits|seconds?|ms|milliseconds|microseconds|nanoseconds|time|duration|latency|size|"
    r"usage|utili[sz]ation|ratio|percent|percentage|celsius|joules|volts|amperes|watts|meters|grams)(_|$)"
)

# Grafana unit ids and what they expect the numbers to be.
GRAFANA_UNITS: dict[str, Quantity] = {
    **{
        unit: Quantity(TIME, scale)
        for unit, scale in (
            ("ns", 1e-9),
            ("µs", 1e-6),
            ("us", 1e-6),
            ("ms", 1e-3),
            ("s", 1.0),
            ("m", 60.0),
            ("h", 3600.0),
            ("d", 86400.0),
            ("dtdurationms", 1e-3),
            ("dtdurations", 1.0),
            ("dthms", 1.0),
            ("dtdhms", 1.0),
            ("clockms", 1e-3),
            ("clocks", 1.0),
        )
    },
    **{
        unit: Quantity(DATA, scale)
        for unit, scale in (
            ("bytes", 1.0),
            ("decbytes", 1.0),
            ("bits", 0.125),
            ("decbits", 0.125),
            ("kbytes", 2.0**10),
            ("deckbytes", 1e3),
            ("mbytes", 2.0**20),
            ("decmbytes", 1e6),
            ("gbytes", 2.0**30),
            ("decgbytes", 1e9),
            ("tbytes", 2.0**40),
            ("dectbytes", 1e12),
            ("pbytes", 2.0**50),
            ("decpbytes", 1e15),
        )
    },
    **{
        unit: Quantity(DATA, scale, per_second=True)
        for unit, scale in (
            ("Bps", 1.0),
            ("binBps", 1.0),
            ("bps", 0.125),
            ("binbps", 0.125),
            ("KBs", 1e3),
            ("KiBs", 2.0**10),
            ("Kbits", 125.0),
            ("Kibits", 128.0),
            ("MBs", 1e6),
            ("MiBs", 2.0**20),
            ("Mbits", 125e3),
            ("Mibits", 2.0**17),
            ("GBs", 1e9),
            ("GiBs", 2.0**30),
            ("Gbits", 125e6),
            ("Gibits", 2.0**27),
        )
    },
    "percent": Quantity(FRACTION, 0.01),
    "percentunit": Quantity(FRACTION, 1.0),
    **{
        unit: Quantity(COUNT, 1.0, per_second=True)
        for unit in ["reqps", "rps", "wps", "iops", "ops", "cps", "eps", "mps", "recps", "rowsps", "hertz"]
    },
    **{
        unit: Quantity(COUNT, 1 / 60, per_second=True)
        for unit in ["rpm", "wpm", "opm", "cpm", "epm", "mpm", "recpm", "rowspm"]
    },
}


def unit_from_name(base: str, name: str) -> Quantity | None:
    """The unit a metric name's suffix promises (`base` is `name` without `_total`, `_bucket`, ...)."""
    if ":" in base:
        return None  # a recording rule's name: `job:latency_seconds:p99_ratio` is no promise about units
    for suffix, dimension, scale in NAME_UNITS:
        if base.endswith(suffix):
            return Quantity(dimension, scale, series=(name,), inferred=True)
    return None


def merge(result: Quantity, *parts: Quantity) -> Quantity:
    """`result`, naming the series of all `parts` and as inferred and uncertain as any of them."""
    series = tuple(dict.fromkeys(name for part in (result, *parts) for name in part.series))
    return result.with_(
        series=series,
        inferred=any(part.inferred for part in (result, *parts)),
        certain=all(part.certain for part in (result, *parts)),
    )


# Every unit id Grafana 10/11 offers in its unit picker (from its documentation and `valueFormats/categories.ts`).
GRAFANA_UNIT_IDS = frozenset(
    """
    none string short sishort percent percentunit humidity dB candela hex0x hex sci locale pixel
    accMS2 accFS2 accG degree radian grad arcmin arcsec areaM2 areaF2 areaMI2 acres hectares
    flops mflops gflops tflops pflops eflops zflops yflops
    ppm conppb conngm3 conngNm3 conμgm3 conμgNm3 conmgm3 conmgNm3 congm3 congNm3 conmgdL conmmolL
    currencyUSD currencyGBP currencyEUR currencyJPY currencyRUB currencyUAH currencyBRL currencyDKK currencyISK
    currencyNOK currencySEK currencyCZK currencyCHF currencyPLN currencyBTC currencymBTC currencyμBTC currencyZAR
    currencyINR currencyKRW currencyIDR currencyPHP currencyVND
    bits bytes kbytes mbytes gbytes tbytes pbytes decbits decbytes deckbytes decmbytes decgbytes dectbytes decpbytes
    pps bps Bps binbps binBps KBs Kbits KiBs Kibits MBs Mbits MiBs Mibits GBs Gbits GiBs Gibits TBs Tbits TiBs
    Tibits PBs Pbits PiBs Pibits
    dateTimeAsIso dateTimeAsIsoNoDateIfToday dateTimeAsUS dateTimeAsUSNoDateIfToday dateTimeAsLocal
    dateTimeAsLocalNoDateIfToday dateTimeAsSystem dateTimeFromNow
    watt kwatt megwatt gwatt mwatt Wm2 voltamp kvoltamp voltampreact kvoltampreact watth watthperkg kwatth kwattm
    mwatth amph kamph mamph joule ev amp kamp mamp volt kvolt mvolt dBm mohm ohm kohm Mohm farad µfarad nfarad
    pfarad ffarad henry mhenry µhenry lumens
    flowgpm flowcms flowcfs flowcfm litreh flowlpm flowmlpm lux
    forceNm forcekNm forceN forcekN
    Hs KHs MHs GHs THs PHs EHs
    massmg massg masslb masskg masst
    lengthmm lengthin lengthft lengthm lengthkm lengthmi
    pressurembar pressurebar pressurekbar pressurepa pressurehpa pressurekpa pressurehg pressurepsi
    radbq radci radgy radrad radsv radmsv radusv radrem radexpckg radr radsvh radmsvh radusvh
    rotrpm rothz rotrads rotdegs
    celsius fahrenheit kelvin
    hertz ns µs us ms s m h d dtdurationms dtdurations dthms dtdhms timeticks clockms clocks
    cps ops reqps rps wps iops eps mps recps rowsps cpm opm rpm wpm epm mpm recpm rowspm
    velocityms velocitykmh velocitymph velocityknot
    mlitre litre m3 Nm3 dm3 gallons
    bool bool_yes_no bool_on_off
    """.split()  # noqa: SIM905 - a list of words reads better as words
)

# Custom units Grafana formats itself: `suffix:req`, `si:B`, `currency:CHF`, `time:YYYY-MM-DD`...
CUSTOM_UNIT_RE = re.compile(r"^(prefix|suffix|si|count|currency|time|bool):")

# Words people write for a unit (often the metric's own unit word), and the Grafana unit id they mean.
UNIT_WORDS: dict[str, str] = {
    "seconds": "s",
    "second": "s",
    "sec": "s",
    "secs": "s",
    "milliseconds": "ms",
    "millisecond": "ms",
    "microseconds": "µs",
    "nanoseconds": "ns",
    "minutes": "m",
    "minute": "m",
    "min": "m",
    "hours": "h",
    "hour": "h",
    "days": "d",
    "day": "d",
    "byte": "bytes",
    "b": "bytes",
    "bit": "bits",
    "kilobytes": "deckbytes",
    "megabytes": "decmbytes",
    "gigabytes": "decgbytes",
    "kib": "kbytes",
    "mib": "mbytes",
    "gib": "gbytes",
    "%": "percent",
    "percentage": "percent",
    "pct": "percent",
    "ratio": "percentunit",
    "fraction": "percentunit",
    "requests/s": "reqps",
    "req/s": "reqps",
    "requests": "reqps",
    "bytes/s": "Bps",
    "bytes_per_second": "Bps",
    "bits/s": "bps",
    "ops/s": "ops",
    "count": "short",
    "number": "short",
    "celcius": "celsius",
    "degrees": "celsius",
    "volts": "volt",
    "watts": "watt",
    "joules": "joule",
    "amperes": "amp",
    "meters": "lengthm",
    "metres": "lengthm",
    "grams": "massg",
}

# Metric name suffixes of base units, and how a message names the unit (`free_bytes`: "in bytes").
UNIT_SUFFIX_WORDS: dict[str, str] = {
    "_bytes": "bytes",
    "_seconds": "seconds",
    "_celsius": "degrees Celsius",
    "_meters": "meters",
    "_volts": "volts",
    "_amperes": "amperes",
    "_joules": "joules",
    "_grams": "grams",
    "_watts": "watts",
    "_hertz": "hertz",
}


# Prometheus names quantities in base units: seconds, bytes, meters, grams, joules, volts, amperes, celsius,
# and ratios for fractions. A prefixed or other unit is converted in the query, never in the name.
BASE_UNITS = ("seconds", "bytes", "meters", "metres", "grams", "joules", "volts", "amperes", "watts")
UNIT_PREFIXES = (
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto",
    "kilo", "kibi", "mega", "mebi", "mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi",
)  # fmt: skip
OTHER_UNITS = {
    "minutes": "seconds",
    "hours": "seconds",
    "days": "seconds",
    "weeks": "seconds",
    "millis": "seconds",
    "micros": "seconds",
    "nanos": "seconds",
    "kilobits": "bytes",
    "megabits": "bytes",
    "gigabits": "bytes",
    "percent": "ratio",
    "percentage": "ratio",
    "percents": "ratio",
    "fahrenheit": "celsius",
    "kelvins": "kelvin",
    "inches": "meters",
    "feet": "meters",
    "yards": "meters",
    "miles": "meters",
    "pounds": "grams",
    "ounces": "grams",
    "calories": "joules",
}
# Abbreviations are only taken for units where a unit stands: the last word of the name (before `_total`).
UNIT_ABBREVIATIONS = {
    "ns": "seconds",
    "us": "seconds",
    "ms": "seconds",
    "usec": "seconds",
    "msec": "seconds",
    "sec": "seconds",
    "secs": "seconds",
    "mins": "seconds",
    "hrs": "seconds",
    "kb": "bytes",
    "mb": "bytes",
    "gb": "bytes",
    "tb": "bytes",
    "kib": "bytes",
    "mib": "bytes",
    "gib": "bytes",
    "tib": "bytes",
    "pct": "ratio",
}
# `unit=` holds nothing but a unit, so single letters and symbols are units there.
UNIT_VALUE_ABBREVIATIONS = {
    **UNIT_ABBREVIATIONS,
    "s": "seconds",
    "min": "seconds",
    "h": "seconds",
    "b": "bytes",
    "%": "ratio",
}
