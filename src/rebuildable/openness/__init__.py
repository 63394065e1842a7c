"""Openness: is each artifact under an open licence, and is the release open source?

:mod:`~rebuildable.openness.licences` judges one licence expression under a policy (code
or content); :mod:`~rebuildable.openness.release` judges the artifacts of a release with
what they inherit through the steps and from upstreams; :mod:`~rebuildable.openness.frameworks`
places a model release in the MOF classes and the OSAID components.
"""

from __future__ import annotations

from rebuildable.openness.frameworks import (
    MofComponent,
    OsaidAssessment,
    OsaidElement,
    mof_assessment,
    osaid_assessment,
)
from rebuildable.openness.licences import (
    CODE_KINDS,
    CODE_POLICY,
    CONTENT_POLICY,
    Judgement,
    LicencePolicy,
    OpennessStatus,
    classify,
    license_data,
    policy_for_kind,
)
from rebuildable.openness.release import (
    ArtifactOpenness,
    assess_artifacts,
    describe_failure,
    release_failures,
)

__all__ = [
    "CODE_KINDS",
    "CODE_POLICY",
    "CONTENT_POLICY",
    "ArtifactOpenness",
    "Judgement",
    "LicencePolicy",
    "MofComponent",
    "OpennessStatus",
    "OsaidAssessment",
    "OsaidElement",
    "assess_artifacts",
    "classify",
    "describe_failure",
    "license_data",
    "mof_assessment",
    "osaid_assessment",
    "policy_for_kind",
    "release_failures",
]
