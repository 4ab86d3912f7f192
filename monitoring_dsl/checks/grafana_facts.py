"""Facts about Grafana that dashboard checks compare specs with: its colour names and the functions of its
Prometheus variable queries (its unit ids are in `monitoring_dsl.model.units`). Plain data, written from
Grafana's documentation; no code of Grafana's."""

from __future__ import annotations

import re

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
