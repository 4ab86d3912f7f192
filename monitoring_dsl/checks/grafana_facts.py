"""Facts about Grafana that dashboard checks compare specs with: its unit ids, its colour names and the
functions of its Prometheus variable queries. Plain data, written from Grafana's documentation and its
`valueFormats/categories.ts`; no code of Grafana's."""

from __future__ import annotations

import re

# Every unit id Grafana 10/11 offers in its unit picker.
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

# Grafana's named palette: a hue with an optional shade, and two specials.
_HUES = ("red", "orange", "yellow", "green", "blue", "purple")
_SHADES = ("", "dark-", "semi-dark-", "light-", "super-light-")
GRAFANA_COLOR_NAMES = frozenset({shade + hue for hue in _HUES for shade in _SHADES} | {"text", "transparent"})

# CSS colour names, which Grafana also accepts.
CSS_COLOR_NAMES = frozenset(
    """
    aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown
    burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan
    darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred
    darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink
    deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold
    goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush
    lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey
    lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow
    lime limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
    mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin
    navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise
    palevioletred papayawhip peru pink plum powderblue purple rebeccapurple red rosybrown royalblue saddlebrown
    salmon sandybrown seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen
    steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen
    """.split()  # noqa: SIM905 - a list of words reads better as words
)

COLOR_FUNCTION_RE = re.compile(r"^(#[0-9a-fA-F]{3,4}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|(rgba?|hsla?)\(.*\))$")

# The functions of a Grafana Prometheus variable query, with how many arguments each takes.
VARIABLE_QUERY_FUNCTIONS: dict[str, tuple[int, int]] = {
    "label_names": (0, 1),
    "label_values": (1, 2),
    "metrics": (1, 1),
    "query_result": (1, 1),
}
