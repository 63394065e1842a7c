"""The registry: a service that checks uploads with the engine and answers lineage questions.

This package's root stays light: the client (:mod:`.client`), version ordering
(:mod:`.versions`) and name rules (:mod:`.names`) need only the standard library, so that
``rebuildable publish`` and ``validate --registry`` work on a plain install. The service
itself (:mod:`.app`, :mod:`.db`, :mod:`.store`) needs the ``registry`` extra.
"""
