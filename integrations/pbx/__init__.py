"""PBX backends: sim (embedded), areavoip, irontec, asterisk (AMI)."""

from integrations.pbx.base import (
    CallInfo,
    MemberState,
    MemberStatus,
    Pbx,
    PbxError,
    PbxUnreachable,
)

__all__ = ["CallInfo", "MemberState", "MemberStatus", "Pbx", "PbxError", "PbxUnreachable"]
