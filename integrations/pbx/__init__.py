"""PBX backends: sim (embedded), areavoip, irontec, asterisk (AMI)."""

from integrations.pbx.base import (
    CallInfo,
    LiveQueue,
    MemberState,
    MemberStatus,
    Pbx,
    PbxError,
    PbxUnreachable,
    WaitingCall,
)

__all__ = ["CallInfo", "LiveQueue", "MemberState", "MemberStatus", "Pbx", "PbxError",
           "PbxUnreachable", "WaitingCall"]
