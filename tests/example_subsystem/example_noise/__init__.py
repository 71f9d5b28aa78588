"""Boundary noise (厂界噪声 / tiếng ồn tại ranh giới): the example subsystem of ``docs/extending.md``.

A sound level meter at the boundary of a site sends its A-weighted equivalent continuous level LAeq [dB(A)] for
each measurement interval, as envelopes of kind ``noise-reading``. The sink judges each reading against the
limit of GB 12348-2008 Table 1 for the site's zone class and the time of day, and stores it in its own table;
a running part sums up each meter's last hour; the readings are shown by an API route, a page in the menu and a
command. It lives in the tests and plugs in through ``ECOSENTRY_SUBSYSTEMS`` without a change to a core file:
everything it adds is named below.

Inside: ``rules`` (pure: the limits, day and night, the energy mean), ``records`` (the record kind and its
envelope), ``schema`` and ``migrations/`` (its table), ``sink``, ``queries`` (its read model), ``api``,
``pages`` with ``templates/``, ``cli``, ``settings``, ``service`` and ``locale/`` (its words in zh and vi).
"""

from ecosentry.contracts.subsystem import MenuEntry, Subsystem
from ecosentry.said import N_

_N = __name__

SUBSYSTEM = Subsystem(
    name="noise",
    title=N_("Boundary noise"),
    schema=f"{_N}.schema",
    migrations=f"{_N}.migrations",
    sinks={"noise-reading": f"{_N}.sink:NoiseSink.from_settings"},
    catalogue=(f"{_N}.rules",),
    api_routers=(f"{_N}.api:router",),
    pages=(f"{_N}.pages:router",),
    menu=(MenuEntry("/noise", N_("Boundary noise"), order=70, public=True),),
    templates=_N,
    cli=f"{_N}.cli:register",
    settings={"noise": f"{_N}.settings:NoiseSettings"},
    services=(f"{_N}.service:parts",),
    locale=_N,
)
