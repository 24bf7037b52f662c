"""The words people type, in every language Switchboard speaks: one table per language.

``PHRASES``: for each command (by its English name), the names and plain phrases that run
it in Catalan, Spanish and Portuguese (pt-BR wording). The English ones are the command's
own ``aliases``. The parser accepts every phrase of every language (a team mixes them);
/help shows the asker's language first.

``ARGUMENTS``: words commands read among their arguments ("demà", "mañana", "amanhã" →
``tomorrow``; weekday names → ``mon`` … ``sun``), each mapped to the English word the
command's own parsing knows. ``canonical`` looks a typed word up; ``FILLERS`` are the small
words people put around what a command needs ("al 600…", "a les 10:30", "per dinar"),
which a command may skip where they can only be filler.

Matching ignores case and accents ("quien esta" is "quién está"), as ``fold`` does.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "help": {
        "ca": ("ajuda", "què pots fer", "ordres"),
        "es": ("ayuda", "qué puedes hacer", "comandos"),
        "pt": ("ajuda", "o que você faz", "comandos"),
    },
    "whoami": {
        "ca": ("qui soc",),
        "es": ("quién soy",),
        "pt": ("quem sou eu",),
    },
    "pause": {
        "ca": ("pausa'm", "pausa", "faig una pausa", "me'n vaig a dinar"),
        "es": ("pausa", "pausar", "pausarme", "me voy a comer"),
        "pt": ("pausar", "pausa", "me pausa", "vou almoçar"),
    },
    "resume": {
        "ca": ("torno", "ja soc aquí", "reprèn"),
        "es": ("ya estoy", "vuelvo", "reanudar"),
        "pt": ("voltei", "retomar", "estou de volta"),
    },
    "queue": {
        "ca": ("cua", "estat de la cua", "qui hi ha a la cua"),
        "es": ("cola", "estado de la cola", "quién está en la cola"),
        "pt": ("fila", "status da fila", "quem está na fila"),
    },
    "login": {
        "ca": ("connecta'm", "entro"),
        "es": ("conéctame", "entrar"),
        "pt": ("me conecta", "entrar"),
    },
    "logout": {
        "ca": ("desconnecta'm", "surto"),
        "es": ("desconéctame", "salir"),
        "pt": ("me desconecta", "sair"),
    },
    "breaks": {
        "ca": ("informe de pauses", "pauses"),
        "es": ("informe de pausas", "pausas"),
        "pt": ("relatório de pausas", "pausas"),
    },
    "callback": {
        "ca": ("programa una trucada", "truca'm", "retorna la trucada"),
        "es": ("llámame", "programar llamada", "devolver llamada"),
        "pt": ("agendar retorno", "me liga", "retornar ligação"),
    },
    "callbacks": {
        "ca": ("les meves trucades pendents", "trucades pendents"),
        "es": ("mis llamadas pendientes", "llamadas pendientes"),
        "pt": ("meus retornos", "retornos pendentes"),
    },
    "slots": {
        "ca": ("franges", "franges lliures"),
        "es": ("huecos", "franjas libres"),
        "pt": ("horários livres", "vagas"),
    },
    "add": {
        "ca": ("afegeix",),
        "es": ("añadir",),
        "pt": ("adicionar",),
    },
    "remove": {
        "ca": ("treu",),
        "es": ("quitar",),
        "pt": ("remover",),
    },
    "overdue": {
        "ca": ("pauses llargues",),
        "es": ("pausas largas",),
        "pt": ("pausas longas",),
    },
    "announce": {
        "ca": ("anuncia",),
        "es": ("anunciar",),
        "pt": ("anunciar",),
    },
    "people": {
        "ca": ("equip", "qui hi ha a l'equip"),
        "es": ("equipo", "quién está en el equipo"),
        "pt": ("equipe", "quem está na equipe"),
    },
    "audit": {
        "ca": ("registre",),
        "es": ("registro",),
        "pt": ("registro",),
    },
    "pbx": {
        "ca": ("centraleta",),
        "es": ("centralita",),
        "pt": ("central",),
    },
    "onshift": {
        "ca": ("qui hi ha de torn", "qui hi ha", "de torn"),
        "es": ("quién está de turno", "quién está", "de turno"),
        "pt": ("quem está de turno", "quem está", "de turno"),
    },
    "shifts": {
        "ca": ("torns", "els meus torns"),
        "es": ("turnos", "mis turnos"),
        "pt": ("turnos", "meus turnos"),
    },
    "offline": {
        "ca": ("qui està desconnectat", "desconnectats"),
        "es": ("quién está desconectado", "desconectados"),
        "pt": ("quem está desconectado", "desconectados"),
    },
    "alerts": {
        "ca": ("alertes", "alarmes"),
        "es": ("alertas", "alarmas"),
        "pt": ("alertas", "alarmes"),
    },
    "assign": {
        "ca": ("assigna",),
        "es": ("asignar",),
        "pt": ("atribuir",),
    },
    "swap": {
        "ca": ("intercanvia",),
        "es": ("intercambiar",),
        "pt": ("trocar",),
    },
    "timetable": {
        "ca": ("graella",),
        "es": ("cuadrante",),
        "pt": ("escala",),
    },
    "holiday": {
        "ca": ("festiu",),
        "es": ("festivo",),
        "pt": ("feriado",),
    },
    "busy": {
        "ca": ("no puc", "ocupat"),
        "es": ("no puedo", "ocupado"),
        "pt": ("não posso", "ocupado"),
    },
    "plan": {
        "ca": ("planifica",),
        "es": ("planificar",),
        "pt": ("planejar",),
    },
    "lookup": {
        "ca": ("cerca", "qui és"),
        "es": ("buscar", "quién es"),
        "pt": ("buscar", "quem é"),
    },
    "operation": {
        "ca": ("operació",),
        "es": ("operación",),
        "pt": ("operação",),
    },
    "typify": {
        "ca": ("tipifica", "tipifica la trucada"),
        "es": ("tipificar", "tipificar llamada"),
        "pt": ("tipificar", "tipificar ligação"),
    },
    "calls": {
        "ca": ("trucades", "les meves trucades"),
        "es": ("llamadas", "mis llamadas"),
        "pt": ("ligações", "minhas ligações"),
    },
    "stats": {
        "ca": ("estadístiques", "com anem"),
        "es": ("estadísticas", "cómo vamos"),
        "pt": ("estatísticas", "como estamos"),
    },
    "language": {
        "ca": ("idioma", "llengua"),
        "es": ("idioma",),
        "pt": ("idioma", "língua"),
    },
}

# Argument words: what each means, as the English word the commands parse.
ARGUMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "today": {"ca": ("avui",), "es": ("hoy",), "pt": ("hoje",)},
    "tomorrow": {"ca": ("demà",), "es": ("mañana",), "pt": ("amanhã",)},
    "yesterday": {"ca": ("ahir",), "es": ("ayer",), "pt": ("ontem",)},
    "now": {"ca": ("ara",), "es": ("ahora",), "pt": ("agora",)},
    "next": {"ca": ("següent", "proper", "propera", "vinent", "ve"),
             "es": ("siguiente", "próximo", "próxima", "viene"),
             "pt": ("próximo", "próxima", "seguinte", "vem")},
    "this": {"ca": ("aquesta", "aquest"), "es": ("esta", "este"), "pt": ("esta", "este")},
    "week": {"ca": ("setmana",), "es": ("semana",), "pt": ("semana",)},
    "month": {"ca": ("mes",), "es": ("mes",), "pt": ("mês",)},
    "page": {"ca": ("pàgina",), "es": ("página",), "pt": ("página",)},
    "mine": {"ca": ("meves", "meus", "meu", "meva"), "es": ("míos", "mías", "mis"),
             "pt": ("meus", "minhas")},
    "all": {"ca": ("totes", "tots", "tot"), "es": ("todas", "todos", "todo"),
            "pt": ("todos", "todas", "todo")},
    "nobody": {"ca": ("ningú",), "es": ("nadie",), "pt": ("ninguém",)},
    "last": {"ca": ("darrera", "última", "darrer", "últim", "passada", "anterior"),
             "es": ("última", "último", "pasada", "anterior"),
             "pt": ("última", "último", "passada", "anterior")},
    "turn": {"ca": ("torn",), "es": ("turno",), "pt": ("turno",)},
    "day": {"ca": ("dia",), "es": ("día",), "pt": ("dia",)},
    "every": {"ca": ("cada",), "es": ("cada",), "pt": ("cada",)},
    "list": {"ca": ("llista",), "es": ("lista",), "pt": ("lista",)},
    "remove": {"ca": ("treu", "esborra"), "es": ("quita", "borra"), "pt": ("remover", "apaga")},
    "show": {"ca": ("mostra",), "es": ("muestra",), "pt": ("mostra",)},
    "publish": {"ca": ("publica",), "es": ("publica",), "pt": ("publica",)},
    "explain": {"ca": ("explica",), "es": ("explica",), "pt": ("explica",)},
    "confirm": {"ca": ("confirma",), "es": ("confirma",), "pt": ("confirma",)},
    "paused": {"ca": ("pausats",), "es": ("pausados",), "pt": ("pausados",)},
    "offline": {"ca": ("desconnectats",), "es": ("desconectados",),
                "pt": ("desconectados",)},
    "busy": {"ca": ("ocupats",), "es": ("ocupados",), "pt": ("ocupados",)},
    "available": {"ca": ("disponibles",), "es": ("disponibles",), "pt": ("disponíveis",)},
    "mute": {"ca": ("silencia",), "es": ("silenciar",), "pt": ("silenciar",)},
    "unmute": {"ca": ("reactiva",), "es": ("reactivar",), "pt": ("reativar",)},
    "me": {"ca": ("jo",), "es": ("yo",), "pt": ("eu",)},
    "mon": {"ca": ("dilluns", "dl"), "es": ("lunes", "lun"), "pt": ("segunda", "seg",
                                                                    "segunda-feira")},
    "tue": {"ca": ("dimarts", "dt"), "es": ("martes", "mar"), "pt": ("terça", "ter",
                                                                     "terça-feira")},
    "wed": {"ca": ("dimecres", "dc"), "es": ("miércoles", "mié"), "pt": ("quarta", "qua",
                                                                         "quarta-feira")},
    "thu": {"ca": ("dijous", "dj"), "es": ("jueves", "jue"), "pt": ("quinta", "qui",
                                                                    "quinta-feira")},
    "fri": {"ca": ("divendres", "dv"), "es": ("viernes", "vie"), "pt": ("sexta", "sex",
                                                                        "sexta-feira")},
    "sat": {"ca": ("dissabte", "ds"), "es": ("sábado", "sáb"), "pt": ("sábado", "sáb")},
    "sun": {"ca": ("diumenge", "dg"), "es": ("domingo", "dom"), "pt": ("domingo", "dom")},
}
# English weekday names as the commands have always read them.
_ENGLISH_WEEKDAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed",
                     "thursday": "thu", "friday": "fri", "saturday": "sat", "sunday": "sun"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Small words around what a command needs: "al 600…", "a les 10:30", "per dinar",
# "at 10:30", "às 10h".
FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("at", "to", "for", "on", "the"),
    "ca": ("a", "al", "les", "la", "el", "per", "de", "del", "que"),
    "es": ("a", "al", "las", "la", "el", "para", "por", "de", "del", "que"),
    "pt": ("a", "ao", "às", "as", "o", "para", "pra", "de", "do", "da", "no", "na", "que"),
}


def fold(word: str) -> str:
    """A word as matched: lower case, curly apostrophes straight, accents off."""
    decomposed = unicodedata.normalize("NFD", word.lower().replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _index() -> dict[str, str]:
    found: dict[str, str] = {fold(k): v for k, v in _ENGLISH_WEEKDAYS.items()}
    for meaning, languages in ARGUMENTS.items():
        found.setdefault(fold(meaning), meaning)
        for words in languages.values():
            for word in words:
                found.setdefault(fold(word), meaning)
    return found


_MEANING = _index()
_FILLER = {fold(w) for words in FILLERS.values() for w in words if " " not in w}


def canonical(word: str) -> str:
    """The English word a typed argument word means ("demà" → "tomorrow", "dv" → "fri"),
    else the word in lower case."""
    return _MEANING.get(fold(word), word.lower())


def weekday(word: str) -> int | None:
    """0 (Monday) to 6 for a weekday name or abbreviation in any language."""
    meaning = canonical(word)
    return WEEKDAYS.index(meaning) if meaning in WEEKDAYS else None


def is_filler(word: str) -> bool:
    return fold(word) in _FILLER


def without_fillers(words: Sequence[str]) -> tuple[str, ...]:
    """``words`` without the filler words among them ("al 600… demà a les 10:30" →
    "600… demà 10:30"), for commands whose arguments are values, not free text."""
    return tuple(w for w in words if not is_filler(w))
