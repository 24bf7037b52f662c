"""The product's behaviour: plain typed commands, ``run(ctx, services) -> Reply``.

The framework is here (``core``, ``dispatch``, ``parse``, ``text``, ``format``, ``refs``,
``links``); each capability has its folder; ``registry`` lists every command."""
